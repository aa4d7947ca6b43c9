import { describe, expect, it } from 'vitest';
import { openAiWireFormat } from './openai.js';

const format = openAiWireFormat;

describe('openAiWireFormat.operationForPath', () => {
  it.each([
    ['/v1/chat/completions', 'chat'],
    ['/chat/completions', 'chat'],
    ['chat/completions', 'chat'],
    ['/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21', 'chat'],
    ['/v1/chat/completions/', 'chat'],
    ['/api/v1/chat/completions#x', 'chat'],
    ['/v1/responses', 'responses'],
    ['/openai/v1/responses?api-version=preview', 'responses'],
    ['/v1/embeddings', 'embeddings'],
    ['/openai/deployments/ada/embeddings?api-version=2024-10-21', 'embeddings'],
    ['/v1/completions', 'text_completion'],
    ['/completions', 'text_completion'],
    ['/v1/responses/resp_123', 'responses'],
    ['/v1/responses/resp_123/cancel', 'responses'],
    ['/v1/responses/resp_123/input_items', 'other'],
    ['/v1/responses/compact', 'responses'],
    ['/openai/v1/responses/compact?api-version=preview', 'responses'],
    ['/v1/responses/input_tokens', 'other'],
    ['/v1/chat/completions/chatcmpl-123', 'other'],
    ['/v1/models', 'other'],
    ['', 'other'],
    ['/', 'other'],
  ] as const)('%s → %s', (path, operation) => {
    expect(format.operationForPath(path)).toBe(operation);
  });
});

describe('openAiWireFormat.parseResponse', () => {
  it('reads cache writes when the provider reports them', () => {
    const body = {
      model: 'gpt-5-2025-08-07',
      usage: {
        prompt_tokens: 5000,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 3000 },
      },
    };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 5000,
      output: 10,
      cachedInput: 1000,
      cacheWrite: 3000,
      reasoning: 0,
    });
  });

  it('yields no usage when a main count is missing or not a count', () => {
    for (const bad of ['12', null, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, undefined, {}]) {
      expect(format.parseResponse('chat', { usage: { prompt_tokens: bad, completion_tokens: 3 } }).usage).toBe(
        undefined,
      );
      expect(format.parseResponse('chat', { usage: { prompt_tokens: 3, completion_tokens: bad } }).usage).toBe(
        undefined,
      );
      expect(format.parseResponse('responses', { usage: { input_tokens: bad, output_tokens: 3 } }).usage).toBe(
        undefined,
      );
    }
  });

  it('counts bad details as zero and caps parts by their wholes', () => {
    const body = {
      usage: {
        prompt_tokens: 10,
        completion_tokens: 4,
        prompt_tokens_details: { cached_tokens: 'lots', cache_write_tokens: -3 },
        completion_tokens_details: null,
      },
    };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 10,
      output: 4,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    const inflated = {
      usage: {
        input_tokens: 10,
        output_tokens: 4,
        input_tokens_details: { cached_tokens: 50, cache_write_tokens: 5 },
        output_tokens_details: { reasoning_tokens: 9 },
      },
    };
    expect(format.parseResponse('responses', inflated).usage).toEqual({
      input: 10,
      output: 4,
      cachedInput: 10,
      cacheWrite: 0,
      reasoning: 4,
    });
  });

  it('never throws on odd bodies', () => {
    for (const body of [null, undefined, 42, 'text', [], { usage: 'x', model: 5 }, { usage: [] }, { model: '' }]) {
      expect(format.parseResponse('chat', body)).toEqual({ usage: undefined, responseModel: undefined });
    }
  });
});

describe('OpenAI stream accumulator', () => {
  it('never throws on malformed events and reads nothing from them', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.pushRaw('not json')).toBe('other');
    expect(accumulator.pushRaw('')).toBe('other');
    for (const data of [null, undefined, 42, 'chunk', [], {}, { choices: 'x' }, { choices: [null, 3, { delta: 7 }] }]) {
      expect(accumulator.push(data)).toBe('other');
    }
    expect(accumulator.push({ choices: [{ delta: { content: 5, tool_calls: [null, { function: 'x' }] } }] })).toBe(
      'other',
    );
    expect(accumulator.push({ type: 'response.unknown_event', delta: 'x' })).toBe('other');
    expect(accumulator.push({ type: 'response.output_text.delta', delta: 42 })).toBe('other');
    expect(accumulator.push({ type: 'response.completed', response: 'x' })).toBe('other');
    const summary = accumulator.summary();
    expect(summary.usage).toBe(undefined);
    expect(summary.responseModel).toBe(undefined);
    expect(summary.outputText()).toBe('');
    expect(summary.failed).toBe(false);
  });

  it('ignores usage with wrong types but still hides the usage chunk', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.push({ choices: [], usage: { prompt_tokens: '12', completion_tokens: 3 } })).toBe('usage_only');
    expect(accumulator.push({ choices: [], usage: { prompt_tokens: -12, completion_tokens: 3 } })).toBe('usage_only');
    expect(accumulator.summary().usage).toBe(undefined);
  });

  it('keeps good usage when a later chunk has bad usage', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3 } });
    accumulator.push({ choices: [], usage: { prompt_tokens: null, completion_tokens: null } });
    expect(accumulator.summary().usage).toEqual({ input: 12, output: 3, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('does not let Azure’s empty-model prompt-filter chunk count as usage or hide the model', () => {
    const accumulator = format.createStreamAccumulator('chat');
    const filter = { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [] };
    expect(accumulator.push(filter)).toBe('other');
    accumulator.push({ model: 'gpt-4o-2024-11-20', choices: [{ index: 0, delta: { content: 'Hi' } }] });
    accumulator.push(filter);
    expect(accumulator.summary().responseModel).toBe('gpt-4o-2024-11-20');
  });

  it('takes refusals, legacy function calls and compatible servers’ reasoning as content', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.push({ choices: [{ delta: { refusal: 'I cannot' } }] })).toBe('content');
    expect(accumulator.push({ choices: [{ delta: { function_call: { name: 'f', arguments: '' } } }] })).toBe('content');
    expect(accumulator.push({ choices: [{ delta: { function_call: { arguments: '{}' } } }] })).toBe('content');
    expect(accumulator.push({ choices: [{ delta: { reasoning_content: 'hmm' } }] })).toBe('content');
    expect(accumulator.push({ choices: [{ delta: { content: '', role: 'assistant' } }] })).toBe('other');
    expect(accumulator.summary().outputText()).toBe('I cannot{}hmm');
  });

  it('finishes a chunk stream once every choice has a finish_reason, as SDKs never show [DONE]', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] });
    accumulator.push({ choices: [{ index: 1, delta: { content: 'b' }, finish_reason: null }] });
    expect(accumulator.summary().finished).toBe(false);
    accumulator.push({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    expect(accumulator.summary().finished).toBe(false);
    accumulator.push({ choices: [{ index: 1, delta: {}, finish_reason: 'length' }] });
    expect(accumulator.summary().finished).toBe(true);
  });

  it('treats an `event: error` as an error even when its data is not JSON', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.pushRaw('oops', 'error')).toBe('error');
    expect(accumulator.summary().failed).toBe(true);
  });

  it('keeps usage reported by response.failed', () => {
    const accumulator = format.createStreamAccumulator('responses');
    const response = {
      model: 'gpt-4.1-2025-04-14',
      status: 'failed',
      usage: { input_tokens: 20, output_tokens: 2, input_tokens_details: { cached_tokens: 0 } },
    };
    expect(accumulator.push({ type: 'response.failed', response })).toBe('error');
    const summary = accumulator.summary();
    expect(summary.usage).toEqual({ input: 20, output: 2, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
    expect([summary.failed, summary.finished]).toEqual([true, false]);
  });

  it('joins output text lazily and can be asked again', () => {
    const accumulator = format.createStreamAccumulator('responses');
    accumulator.push({ type: 'response.output_text.delta', delta: 'a' });
    accumulator.push({ type: 'response.output_text.delta', delta: 'b' });
    const summary = accumulator.summary();
    expect(summary.outputText()).toBe('ab');
    accumulator.push({ type: 'response.output_text.delta', delta: 'c' });
    expect(summary.outputText()).toBe('abc');
    expect(summary.outputText()).toBe('abc');
  });
});

describe('openAiWireFormat.requestText', () => {
  it('reads chat messages (string and text parts), tool calls and tool definitions', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', content: 'Sunny' },
      ],
      tools,
    };
    expect(format.requestText('chat', body)).toBe(
      ['Be brief.', 'What is in this image?', 'get_weather', '{}', 'Sunny', JSON.stringify(tools)].join('\n'),
    );
  });

  it('reads Responses instructions and input, as a string or as items', () => {
    expect(format.requestText('responses', { instructions: 'Be brief.', input: 'Hi' })).toBe('Be brief.\nHi');
    const input = [
      { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
      { type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: 'c1' },
      { type: 'function_call_output', call_id: 'c1', output: 'Sunny' },
      { role: 'assistant', content: 'Sunny in Paris.' },
    ];
    expect(format.requestText('responses', { input })).toBe('Weather?\n{"city":"Paris"}\nSunny\nSunny in Paris.');
  });

  it('reads completions prompts and embeddings inputs, skipping token ids', () => {
    expect(format.requestText('text_completion', { prompt: 'Say this is a test' })).toBe('Say this is a test');
    expect(format.requestText('text_completion', { prompt: ['a', 'b'] })).toBe('a\nb');
    expect(format.requestText('embeddings', { input: 'hello' })).toBe('hello');
    expect(format.requestText('embeddings', { input: ['hello', 'world'] })).toBe('hello\nworld');
    expect(format.requestText('embeddings', { input: [1, 2, 3] })).toBe('');
    expect(format.requestText('embeddings', { input: [[1, 2], [3]] })).toBe('');
  });

  it('never throws on odd shapes', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'messages', {
      get() {
        throw new Error('boom');
      },
    });
    for (const operation of ['chat', 'responses', 'embeddings', 'text_completion', 'other'] as const) {
      for (const body of [null, 42, 'x', [], { messages: 'x', input: 7, prompt: {} }, { tools: cyclic }, throwing]) {
        expect(typeof format.requestText(operation, body)).toBe('string');
      }
    }
    expect(format.requestText('chat', { messages: [null, 1, { content: [null, 2, { text: 3 }] }] })).toBe('');
  });
});

describe('openAiWireFormat: charges beyond plain tokens', () => {
  it('reads audio tokens as parts of input and output', () => {
    const body = {
      model: 'gpt-audio',
      usage: {
        prompt_tokens: 64,
        completion_tokens: 90,
        prompt_tokens_details: { audio_tokens: 44, cached_tokens: 0 },
        completion_tokens_details: { audio_tokens: 70, reasoning_tokens: 0 },
      },
    };
    expect(openAiWireFormat.parseResponse('chat', body).usage).toEqual({
      input: 64,
      output: 90,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
      audioInput: 44,
      audioOutput: 70,
    });
  });

  it('counts each Responses web_search_call output item as one web search', () => {
    const body = {
      model: 'gpt-5',
      output: [{ type: 'web_search_call' }, { type: 'reasoning' }, { type: 'web_search_call' }, { type: 'message' }],
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    expect(openAiWireFormat.parseResponse('responses', body).usage?.serverToolCalls).toEqual({ web_search: 2 });
  });
});
