import { describe, expect, it } from 'vitest';
import { anthropicWireFormat } from './anthropic.js';

const format = anthropicWireFormat;

describe('anthropicWireFormat.operationForPath', () => {
  it.each([
    ['/v1/messages', 'chat'],
    ['/v1/messages?beta=true', 'chat'],
    ['/anthropic/v1/messages/', 'chat'],
    ['/v1/messages/count_tokens', 'other'],
    ['/v1/messages/batches', 'other'],
    ['/v1/models', 'other'],
  ] as const)('%s → %s', (path, operation) => {
    expect(format.operationForPath(path)).toBe(operation);
  });
});

describe('anthropicWireFormat.parseResponse', () => {
  it('treats missing and null cache fields as zero', () => {
    const body = {
      model: 'claude-3-5-haiku-20241022',
      usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: null },
    };
    expect(format.parseResponse('chat', body)).toEqual({
      usage: { input: 10, output: 5, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
      responseModel: 'claude-3-5-haiku-20241022',
    });
  });

  it('reads thinking tokens when reported', () => {
    const body = { usage: { input_tokens: 10, output_tokens: 50, output_tokens_details: { thinking_tokens: 30 } } };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 10,
      output: 50,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 30,
    });
  });

  it('yields no usage for bad counts, an error body or count_tokens', () => {
    for (const bad of ['10', null, -1, 2.5]) {
      expect(format.parseResponse('chat', { usage: { input_tokens: bad, output_tokens: 5 } }).usage).toBe(undefined);
      expect(format.parseResponse('chat', { usage: { input_tokens: 5, output_tokens: bad } }).usage).toBe(undefined);
    }
    const error = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect(format.parseResponse('chat', error)).toEqual({ usage: undefined, responseModel: undefined });
    expect(format.parseResponse('other', { input_tokens: 2095 })).toEqual({
      usage: undefined,
      responseModel: undefined,
    });
    for (const body of [null, 7, 'x', [], { usage: 'x' }]) {
      expect(format.parseResponse('chat', body)).toEqual({ usage: undefined, responseModel: undefined });
    }
  });

  it('ignores bad cache counts rather than adding them', () => {
    const body = {
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: '100', cache_creation_input_tokens: -4 },
    };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 10,
      output: 5,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });
});

describe('Anthropic stream accumulator', () => {
  const start = (usage: unknown) => ({
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', usage },
  });

  it('takes the latest cumulative output count, without adding', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push(start({ input_tokens: 30, output_tokens: 1 }));
    accumulator.push({ type: 'message_delta', delta: {}, usage: { output_tokens: 20 } });
    accumulator.push({ type: 'message_delta', delta: {}, usage: { output_tokens: 45 } });
    expect(accumulator.summary().usage).toEqual({ input: 30, output: 45, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('keeps earlier counts when message_delta has null or bad ones', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push(start({ input_tokens: 30, cache_read_input_tokens: 100, output_tokens: 1 }));
    accumulator.push({
      type: 'message_delta',
      usage: { input_tokens: null, cache_read_input_tokens: '7', output_tokens: -3 },
    });
    expect(accumulator.summary().usage).toEqual({
      input: 130,
      output: 1,
      cachedInput: 100,
      cacheWrite: 0,
      reasoning: 0,
    });
  });

  it('yields no usage when message_start had none', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push(start('nope'));
    expect(accumulator.summary().usage).toBe(undefined);
    expect(accumulator.summary().responseModel).toBe('claude-sonnet-4-5-20250929');
  });

  it('never throws on malformed events', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.pushRaw('{"type":"content_block_delta",')).toBe('other');
    for (const data of [null, undefined, 3, 'x', [], {}, { type: 'mystery_event' }, { type: 5 }]) {
      expect(accumulator.push(data)).toBe('other');
    }
    expect(accumulator.push({ type: 'content_block_delta', delta: null })).toBe('other');
    expect(accumulator.push({ type: 'content_block_delta', delta: { type: 'text_delta', text: 9 } })).toBe('other');
    expect(accumulator.push({ type: 'content_block_delta', delta: { type: 'future_delta', text: 'x' } })).toBe('other');
    expect(accumulator.push({ type: 'content_block_start', content_block: 'x' })).toBe('other');
    expect(accumulator.push({ type: 'message_start', message: null })).toBe('other');
    expect(accumulator.push({ type: 'message_delta', usage: 'x' })).toBe('other');
    const summary = accumulator.summary();
    expect(summary).toMatchObject({ usage: undefined, responseModel: undefined, finished: false, failed: false });
    expect(summary.outputText()).toBe('');
  });

  it('treats an `event: error` as an error even when its data is not JSON', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.pushRaw('Internal Server Error', 'error')).toBe('error');
    expect(accumulator.summary().failed).toBe(true);
  });

  it('takes the event type from the SSE event name when the data lacks one', () => {
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.push({ delta: { type: 'text_delta', text: 'Hi' } }, 'content_block_delta')).toBe('content');
    expect(accumulator.push({}, 'message_stop')).toBe('other');
    expect(accumulator.summary().finished).toBe(true);
  });
});

describe('anthropicWireFormat.requestText', () => {
  it('reads system, message text, tool use and results, and tool definitions', () => {
    const tools = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }];
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Sunny' }] },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
      tools,
    };
    expect(format.requestText('chat', body)).toBe(
      ['Be brief.', 'Weather in Paris?', 'Checking.', '{"city":"Paris"}', 'Sunny', JSON.stringify(tools)].join('\n'),
    );
    expect(format.requestText('chat', { system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] })).toBe(
      'Be brief.\nHi',
    );
  });

  it('never throws on odd shapes', () => {
    for (const body of [null, 1, 'x', [], { system: 5, messages: 'x' }, { messages: [null, { content: [1, null] }] }]) {
      expect(format.requestText('chat', body)).toBe('');
    }
  });
});

describe('anthropicWireFormat: charges beyond plain tokens', () => {
  it('reads 1-hour cache writes apart, and server tool calls by tool', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      usage: {
        input_tokens: 100,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
        cache_read_input_tokens: 0,
        output_tokens: 40,
        server_tool_use: { web_search_requests: 3, web_fetch_requests: 0 },
      },
    };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 3100,
      output: 40,
      cachedInput: 0,
      cacheWrite: 3000,
      cacheWrite1h: 2000,
      reasoning: 0,
      serverToolCalls: { web_search: 3 },
    });
  });

  it('sums billed iterations, an advisor’s apart at its own model, and keeps top-level counts without them', () => {
    const body = {
      model: 'claude-sonnet-4-6',
      usage: {
        input_tokens: 50,
        output_tokens: 10,
        output_tokens_details: { thinking_tokens: 4 },
        iterations: [
          { type: 'compaction', input_tokens: 100, cache_read_input_tokens: 5000, output_tokens: 80 },
          { type: 'advisor_message', model: 'claude-opus-4-1', input_tokens: 700, output_tokens: 20 },
          { type: 'message', input_tokens: 50, output_tokens: 10 },
        ],
      },
    };
    expect(format.parseResponse('chat', body).usage).toEqual({
      input: 5150,
      output: 90,
      cachedInput: 5000,
      cacheWrite: 0,
      reasoning: 4,
      subCalls: [
        {
          model: 'claude-opus-4-1',
          usage: { input: 700, output: 20, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
        },
      ],
    });
    // An iteration that cannot be read leaves the top-level counts, which Anthropic always sends.
    const odd = { usage: { ...body.usage, iterations: [{ type: 'message', input_tokens: 'x', output_tokens: 1 }] } };
    expect(format.parseResponse('chat', odd).usage).toEqual({
      input: 50,
      output: 10,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 4,
    });
  });
});
