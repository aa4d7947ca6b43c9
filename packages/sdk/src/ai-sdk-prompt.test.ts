import { describe, expect, it } from 'vitest';
import { aiSdkPromptAsChatBody } from './ai-sdk-prompt.js';

describe('aiSdkPromptAsChatBody', () => {
  it('turns an AI SDK prompt into chat messages of text, with tool calls, results and tools as JSON', () => {
    const tools = [{ type: 'function', name: 'weather', inputSchema: { type: 'object' } }];
    const params = {
      prompt: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'file', data: 'AAAA', mediaType: 'image/png' },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'weather', input: { city: 'Oslo' } }],
        },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'c', toolName: 'weather', output: { type: 'text', value: 'Sunny' } },
          ],
        },
      ],
      tools,
    };
    expect(aiSdkPromptAsChatBody(params)).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '{"city":"Oslo"}' },
        { role: 'tool', content: 'Sunny' },
      ],
      tools,
    });
  });

  it('gives no messages for params without a prompt', () => {
    expect(aiSdkPromptAsChatBody(undefined)).toEqual({ messages: [] });
    expect(aiSdkPromptAsChatBody({ prompt: 'not an array' })).toEqual({ messages: [] });
  });
});
