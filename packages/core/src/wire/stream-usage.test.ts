import { describe, expect, it } from 'vitest';
import { anthropicWireFormat } from './anthropic.js';
import { openAiWireFormat } from './openai.js';
import { streamUsageToAsk } from './stream-usage.js';

describe('readRequest', () => {
  it('reads model and stream the same way for both formats, and never throws', () => {
    const throwing = Object.defineProperty({}, 'model', {
      get() {
        throw new Error('no');
      },
    });
    for (const format of [openAiWireFormat, anthropicWireFormat]) {
      expect(format.readRequest({ model: 'gpt-4o', stream: true })).toEqual({ model: 'gpt-4o', stream: true });
      expect(format.readRequest({ model: 4, stream: 'yes' })).toEqual({ model: '', stream: false });
      expect(format.readRequest(['model'])).toEqual({ model: '', stream: false });
      expect(format.readRequest(undefined)).toEqual({ model: '', stream: false });
      expect(format.readRequest(throwing)).toEqual({ model: '', stream: false });
    }
  });
});

describe('streamUsageToAsk', () => {
  const option = openAiWireFormat.streamUsageOption;

  it('asks only for OpenAI chat and legacy completions streams that did not ask already', () => {
    expect(streamUsageToAsk(openAiWireFormat, 'chat', { stream: true })).toBe(option);
    expect(streamUsageToAsk(openAiWireFormat, 'text_completion', { stream: true })).toBe(option);
    expect(streamUsageToAsk(openAiWireFormat, 'chat', { stream: false })).toBeUndefined();
    expect(streamUsageToAsk(openAiWireFormat, 'chat', {})).toBeUndefined();
    const asked = { stream: true, stream_options: { include_usage: true } };
    expect(streamUsageToAsk(openAiWireFormat, 'chat', asked)).toBeUndefined();
    const declined = { stream: true, stream_options: { include_usage: false } };
    expect(streamUsageToAsk(openAiWireFormat, 'chat', declined)).toBe(option);
    expect(streamUsageToAsk(openAiWireFormat, 'responses', { stream: true })).toBeUndefined();
    expect(streamUsageToAsk(openAiWireFormat, 'embeddings', { stream: true })).toBeUndefined();
    expect(streamUsageToAsk(anthropicWireFormat, 'chat', { stream: true })).toBeUndefined();
  });

  it('asks on a copy, keeping the caller’s other stream options', () => {
    if (option === undefined) throw new Error('OpenAI has a stream usage option');
    const params = { model: 'm', stream: true, stream_options: { include_obfuscation: false } };
    const copy = option.ask(params);
    expect(copy).toEqual({ ...params, stream_options: { include_obfuscation: false, include_usage: true } });
    expect(params.stream_options).toEqual({ include_obfuscation: false });
    expect(option.asked(params)).toBe(false);
    expect(option.asked(copy)).toBe(true);
    expect(option.ask({ model: 'm' })).toEqual({ model: 'm', stream_options: option.member.value });
    expect(option.member).toEqual({ name: 'stream_options', value: { include_usage: true } });
  });
});
