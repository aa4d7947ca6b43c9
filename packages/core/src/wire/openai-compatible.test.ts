import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAiWireFormat } from './openai.js';
import { SseParser } from './sse-parser.js';

const corpus = (file: string): string => readFileSync(new URL(`fixtures/corpus/${file}`, import.meta.url), 'utf8');

function followed(file: string) {
  const accumulator = openAiWireFormat.createStreamAccumulator('chat');
  const parser = new SseParser((event) => accumulator.pushRaw(event.data, event.event));
  parser.push(corpus(file));
  parser.end();
  return accumulator.summary();
}

describe('OpenAI-compatible servers', () => {
  it("reads Groq's x_groq.usage on a stream's finish chunk (recorded)", () => {
    const summary = followed('groq/chat-stream-x-groq-usage.sse');
    expect(summary.usage).toEqual({ input: 18, output: 73, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
    expect(summary.responseModel).toBe('llama3-8b-8192');
    expect(summary.finished).toBe(true);
  });

  it('reads usage on the last content chunk, and that chunk is content, not usage_only', () => {
    const accumulator = openAiWireFormat.createStreamAccumulator('chat');
    const last = {
      model: 'mistral-small-latest',
      choices: [{ index: 0, delta: { content: ' there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    };
    expect(accumulator.push(last)).toBe('content');
    expect(accumulator.summary().usage).toEqual({ input: 9, output: 4, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('names an Azure OpenAI deployment as the model when the body names none', () => {
    const path = '/openai/deployments/my%20gpt/chat/completions?api-version=2024-02-01';
    expect(openAiWireFormat.readRequest({ messages: [] }, path)).toEqual({ model: 'my gpt', stream: false });
    expect(openAiWireFormat.readRequest({ model: 'gpt-4o', stream: true }, path)).toEqual({
      model: 'gpt-4o',
      stream: true,
    });
    expect(openAiWireFormat.readRequest({ messages: [] }, '/v1/chat/completions').model).toBe('');
  });
});
