import { Anthropic } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY_TEXT, DEFAULT_USAGE, type Simulator, startSimulator } from './index.js';

const USAGE = { input: 1000, output: 40, cachedInput: 700, cacheWrite: 200 };
const REQUEST = {
  // Not claude-sonnet-4-5: the SDK console.warns that it is deprecated.
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Say hello' }],
};

describe('@anthropic-ai/sdk against the simulator', () => {
  let sim: Simulator;
  let client: Anthropic;

  beforeAll(async () => {
    sim = await startSimulator();
    client = new Anthropic({ baseURL: sim.url, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('answers a message with cache usage translated to Anthropic fields', async () => {
    sim.enqueue({ usage: USAGE });
    const { data, response } = await client.messages.create(REQUEST).withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: DEFAULT_REPLY_TEXT }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 100, cache_read_input_tokens: 700, cache_creation_input_tokens: 200, output_tokens: 40 },
    });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(sim.requests[0]?.path).toBe('/v1/messages');
  });

  it('streams a message: finalMessage has the cumulative usage, cache fields included', async () => {
    sim.enqueue({ chunks: ['Hel', 'lo'], usage: USAGE });
    const stream = client.messages.stream(REQUEST);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const final = await stream.finalMessage();
    expect(texts).toEqual(['Hel', 'lo']);
    expect(final.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(final.usage).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 700,
      cache_creation_input_tokens: 200,
      output_tokens: 40,
    });
  });

  it('streams raw events in the API order, ping included', async () => {
    const stream = await client.messages.create({ ...REQUEST, stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    // The SDK drops `ping` events; the raw wire is checked in simulator.test.ts.
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0];
    expect(start?.type === 'message_start' && start.message.usage.output_tokens).toBe(1);
    const delta = events.at(-2);
    expect(delta?.type === 'message_delta' && delta.usage.output_tokens).toBe(DEFAULT_USAGE.output);
  });

  it('answers with tool use, in JSON and streamed', async () => {
    const toolCall = { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' };
    sim.enqueue({ toolCall }, { toolCall, text: 'Checking.' });
    const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const } }];
    const json = await client.messages.create({ ...REQUEST, tools });
    expect(json.stop_reason).toBe('tool_use');
    expect(json.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'get_weather',
        input: { city: 'Paris', unit: 'celsius' },
      },
    ]);

    const final = await client.messages.stream({ ...REQUEST, tools }).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Checking.' });
    expect(final.content[1]).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: 'Paris', unit: 'celsius' },
    });
  });

  it.each([
    [400, 'BadRequestError', 'invalid_request_error'],
    [401, 'AuthenticationError', 'authentication_error'],
    [403, 'PermissionDeniedError', 'permission_error'],
    [404, 'NotFoundError', 'not_found_error'],
    [429, 'RateLimitError', 'rate_limit_error'],
    [500, 'InternalServerError', 'api_error'],
    [503, 'ServiceUnavailableError', 'overloaded_error'],
    [529, 'OverloadedError', 'overloaded_error'],
  ] as const)('turns status %i into the SDK %s', async (status, errorClass, type) => {
    sim.enqueue({ status });
    const error = await client.messages.create(REQUEST).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic[errorClass]);
    expect(error.status).toBe(status);
    expect(error.error).toMatchObject({ type: 'error', error: { type }, request_id: expect.stringMatching(/^req_/) });
    expect(error.requestID).toBe(error.error.request_id);
  });

  it('lets the SDK retry a 529 with retry-after-ms: 1', async () => {
    // This SDK takes `retry-after: 0` as no hint and backs off ~0.5 s by default, so the test asks for 1 ms.
    const retrying = new Anthropic({ baseURL: sim.url, apiKey: 'test', maxRetries: 1 });
    sim.enqueue({ status: 529, headers: { 'retry-after-ms': '1' } }, {});
    const message = await retrying.messages.create(REQUEST);
    expect(message.content[0]).toMatchObject({ text: DEFAULT_REPLY_TEXT });
    expect(sim.requests).toHaveLength(2);
  });

  it('sends an overloaded error event mid-stream: the SDK throws an APIError of that type', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 2 });
    const stream = client.messages.stream(REQUEST);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const error = await stream.finalMessage().catch((e) => e);
    expect(texts).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ status: undefined, error: { type: 'error', error: { type: 'overloaded_error' } } });
  });

  it('cuts a stream: finalMessage rejects with an AnthropicError wrapping undici\'s "terminated"', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c'], cutAfterChunks: 1 });
    const stream = client.messages.stream(REQUEST);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const error = await stream.finalMessage().catch((e) => e);
    expect(texts).toEqual(['a']);
    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
    expect(error).not.toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ message: 'terminated' });

    sim.enqueue({ chunks: ['a', 'b', 'c'], cutAfterChunks: 1 });
    const raw = await client.messages.create({ ...REQUEST, stream: true });
    const rawError = await (async () => {
      for await (const _event of raw);
    })().catch((e: unknown) => e);
    expect(rawError).toBeInstanceOf(TypeError);
    expect(rawError).toMatchObject({ message: 'terminated' });
  });
});
