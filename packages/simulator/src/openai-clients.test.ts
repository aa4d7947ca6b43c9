import { OpenAI } from 'openai';
import { OpenAI as OpenAIv6 } from 'openai-v6';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_EMBEDDING_DIMENSIONS,
  DEFAULT_REPLY_TEXT,
  DEFAULT_USAGE,
  type Simulator,
  simulatedEmbedding,
  startSimulator,
} from './index.js';

interface ClientUnderTest {
  name: string;
  create(options: { baseURL: string; maxRetries?: number; timeout?: number }): OpenAI;
  errors: {
    APIError: typeof OpenAI.APIError;
    BadRequestError: typeof OpenAI.BadRequestError;
    AuthenticationError: typeof OpenAI.AuthenticationError;
    PermissionDeniedError: typeof OpenAI.PermissionDeniedError;
    NotFoundError: typeof OpenAI.NotFoundError;
    RateLimitError: typeof OpenAI.RateLimitError;
    InternalServerError: typeof OpenAI.InternalServerError;
  };
}

// openai@6's client is driven through v7's types: the calls used here have the same shape in both, and the
// assertions check what v6 actually does at run time.
const clients: ClientUnderTest[] = [
  {
    name: 'openai v7',
    create: (options) => new OpenAI({ apiKey: 'test', maxRetries: 0, ...options }),
    errors: OpenAI,
  },
  {
    name: 'openai v6',
    create: (options) => new OpenAIv6({ apiKey: 'test', maxRetries: 0, ...options }) as unknown as OpenAI,
    errors: OpenAIv6 as unknown as ClientUnderTest['errors'],
  },
];

const USAGE = { input: 120, output: 30, cachedInput: 100, reasoning: 12 };
const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

/** Every item of a stream, read to its end. */
async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe.each(clients)('$name against the simulator', ({ create, errors }) => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator();
    client = create({ baseURL: `${sim.url}/v1` });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  /** A chat completion stream that asks for usage, as most OpenAI callers do. */
  const chatStreamWithUsage = () =>
    client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });

  it('answers a chat completion with exact usage and the default reply', async () => {
    sim.enqueue({ usage: USAGE });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: MESSAGES })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: DEFAULT_REPLY_TEXT, refusal: null });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(sim.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini', messages: MESSAGES });
  });

  it('uses the default usage and the scripted response model', async () => {
    sim.enqueue({ responseModel: 'gpt-4o-mini-2024-07-18' });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(completion.usage?.prompt_tokens).toBe(DEFAULT_USAGE.input);
    expect(completion.usage?.completion_tokens).toBe(DEFAULT_USAGE.output);
  });

  it('streams a chat completion with include_usage: usage only on a last chunk with empty choices', async () => {
    sim.enqueue({ chunks: ['Hel', 'lo', '!'], usage: USAGE });
    const chunks = await collect(await chatStreamWithUsage());
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'Hel', 'lo', '!', undefined, undefined]);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks[4]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
  });

  it('streams a chat completion without include_usage: no usage anywhere', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('omits usage on request even when include_usage was asked for', async () => {
    sim.enqueue({ omitUsage: true });
    const chunks = await collect(await chatStreamWithUsage());
    expect(chunks.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
  });

  it('answers with a tool call, in JSON and through the stream helper', async () => {
    const toolCall = { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' };
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    sim.enqueue({ toolCall }, { toolCall, text: 'Let me check.' });
    const json = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, tools });
    expect(json.choices[0]?.finish_reason).toBe('tool_calls');
    expect(json.choices[0]?.message.content).toBeNull();
    expect(json.choices[0]?.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', function: toolCall },
    ]);

    const final = await client.chat.completions
      .stream({ model: 'gpt-4o', messages: MESSAGES, tools, stream_options: { include_usage: true } })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('Let me check.');
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: toolCall });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.usage?.prompt_tokens).toBe(DEFAULT_USAGE.input);
  });

  it('answers the Responses API in JSON', async () => {
    sim.enqueue({ text: 'Hi there.', usage: USAGE });
    const response = await client.responses.create({ model: 'gpt-4.1-mini', input: 'Say hi' });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('Hi there.');
    expect(response.usage).toEqual({
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 100 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 12 },
      total_tokens: 150,
    });
  });

  it('streams the Responses API: events in order, usage on response.completed', async () => {
    sim.enqueue({ chunks: ['Hi', ' there.'], usage: USAGE });
    const stream = await client.responses.create({ model: 'gpt-4.1-mini', input: 'Say hi', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const completed = events.at(-1);
    expect(completed?.type === 'response.completed' && completed.response.usage?.total_tokens).toBe(150);

    sim.enqueue({ chunks: ['Hi', ' there.'], usage: USAGE });
    const final = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'Say hi' }).finalResponse();
    expect(final.output_text).toBe('Hi there.');
    expect(final.usage?.input_tokens_details.cached_tokens).toBe(100);
    expect(final.usage?.output_tokens).toBe(30);
  });

  it('streams a Responses API tool call', async () => {
    sim.enqueue({ toolCall: { name: 'lookup', arguments: '{"query":"llmeter simulator"}' } });
    const final = await client.responses
      .stream({
        model: 'gpt-4.1-mini',
        input: 'Look it up',
        tools: [{ type: 'function', name: 'lookup', parameters: {}, strict: false }],
      })
      .finalResponse();
    expect(final.output).toEqual([
      expect.objectContaining({ type: 'function_call', name: 'lookup', arguments: '{"query":"llmeter simulator"}' }),
    ]);
  });

  it('sends embeddings the SDK decodes from base64 by default, and floats when asked', async () => {
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    expect(sim.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    expect(decoded.data).toHaveLength(2);
    expect(decoded.data[0]?.embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    expect(decoded.data[0]?.embedding).toEqual(simulatedEmbedding('alpha'));
    expect(decoded.data[1]?.embedding).toEqual(simulatedEmbedding('beta'));
    expect(decoded.usage).toEqual({ prompt_tokens: DEFAULT_USAGE.input, total_tokens: DEFAULT_USAGE.input });

    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
      dimensions: 8,
    });
    expect(floats.data[0]?.embedding).toEqual(simulatedEmbedding('alpha', 8));
  });

  it('answers legacy completions in JSON and as a stream', async () => {
    sim.enqueue({ text: 'one two' }, { chunks: ['one', ' two'], usage: USAGE });
    const json = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Count' });
    expect(json.object).toBe('text_completion');
    expect(json.choices[0]?.text).toBe('one two');
    expect(json.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });

    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Count',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text)).toEqual(['one', ' two', '', undefined]);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
  });

  it('lists models', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain('gpt-4o-mini');
  });

  it.each([
    [400, 'BadRequestError', 'invalid_request_error'],
    [401, 'AuthenticationError', 'invalid_request_error'],
    [403, 'PermissionDeniedError', 'invalid_request_error'],
    [404, 'NotFoundError', 'invalid_request_error'],
    [429, 'RateLimitError', 'requests'],
    [500, 'InternalServerError', 'server_error'],
    [503, 'InternalServerError', 'server_error'],
  ] as const)('turns status %i into the SDK %s', async (status, errorClass, type) => {
    sim.enqueue({ status });
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).catch((e) => e);
    expect(error).toBeInstanceOf(errors[errorClass]);
    expect(error).toMatchObject({ status, type });
    expect(error.requestID).toMatch(/^req_/);
  });

  it('sends the error body, not a stream, when a stream request fails', async () => {
    sim.enqueue({ status: 429, headers: { 'retry-after': '7' } });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: MESSAGES, stream: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(errors.RateLimitError);
    expect(error.headers.get('retry-after')).toBe('7');
    expect(error.code).toBe('rate_limit_exceeded');
  });

  it('lets the SDK retry a 429 with retry-after: 0', async () => {
    const retrying = create({ baseURL: `${sim.url}/v1`, maxRetries: 1 });
    sim.enqueue({ status: 429, headers: { 'retry-after': '0' } }, { text: 'second time lucky' });
    const completion = await retrying.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });
    expect(completion.choices[0]?.message.content).toBe('second time lucky');
    expect(sim.requests).toHaveLength(2);
  });

  it('cuts a stream: the iteration throws after the chunks sent so far', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c', 'd'], cutAfterChunks: 2 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['', 'a', 'b']);
    // undici reports the lost connection as `TypeError: terminated`; neither SDK wraps it.
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'terminated' });
  });

  it('sends an error mid-stream: the SDK throws an APIError without status', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 1 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['', 'a']);
    expect(error).toBeInstanceOf(errors.APIError);
    expect(error).toMatchObject({ status: undefined, type: 'server_error' });
  });

  it('fails a Responses stream with response.failed', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 2 });
    const stream = await client.responses.create({ model: 'gpt-4.1-mini', input: 'x', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1);
    expect(last?.type).toBe('response.failed');
    expect(last?.sequence_number).toBe(events.length - 1);
    expect(last?.type === 'response.failed' && last.response.error?.code).toBe('server_error');
    expect(events.filter((e) => e.type === 'response.output_text.delta')).toHaveLength(2);
  });

  it('delays the first chunk by firstChunkDelayMs', async () => {
    sim.enqueue({ firstChunkDelayMs: 150 });
    const started = performance.now();
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true });
    const headersAt = performance.now() - started;
    let firstContentAt: number | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) firstContentAt ??= performance.now() - started;
    }
    expect(headersAt).toBeLessThan(140);
    expect(firstContentAt).toBeGreaterThanOrEqual(145);
  });

  it('times a request out while headersDelayMs holds the headers back', async () => {
    sim.enqueue({ headersDelayMs: 5_000 });
    const impatient = create({ baseURL: `${sim.url}/v1`, timeout: 100 });
    const error = await impatient.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).catch((e) => e);
    expect(error?.constructor?.name).toBe('APIConnectionTimeoutError');
  });
});
