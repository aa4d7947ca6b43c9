import { instrument } from '@llmeter/sdk';
import type { ScriptedReply } from '@llmeter/simulator';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, useSimulator, value } from './harness.js';

const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const messages = [{ role: 'user' as const, content: 'Say hello' }];
const chatLabels = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };
const reply: ScriptedReply = { chunks: ['Hello', ' there', '!'], usage: { input: 30, output: 3, cachedInput: 10 } };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe.each(OPENAI_SDKS)('$name chat streams', (sdk: OpenAiSdk) => {
  const env = useSimulator();
  const client = (maxRetries = 0) => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries });
  const measured = (options: { injectStreamUsage?: boolean } = {}) => {
    const registry = newRegistry();
    return { registry, openai: instrument(client(), { registry, provider: 'openai', ...options }) };
  };

  it('asks for usage when the caller did not, and shows the caller exactly the chunks it would have seen', async () => {
    const { registry, openai } = measured();
    const params = { model: 'gpt-4o', messages, stream: true as const };
    const paramsBefore = structuredClone(params);
    env.sim.enqueue(reply, reply);
    const seen = await collect(await openai.chat.completions.create(params));
    const plain = await collect(await client().chat.completions.create({ model: 'gpt-4o', messages, stream: true }));

    expect(params).toStrictEqual(paramsBefore);
    expect(requestStreamOptions(env.sim.requests[0]?.body)).toEqual({ include_usage: true });
    expect(requestStreamOptions(env.sim.requests[1]?.body)).toBeUndefined();
    // Same chunks, same keys: no usage-only chunk, no `usage: null` on the others.
    expect(seen.map((chunk) => ({ ...chunk, id: '', created: 0 }))).toStrictEqual(
      plain.map((chunk) => ({ ...chunk, id: '', created: 0 })),
    );
    expect(seen.every((chunk) => !('usage' in chunk))).toBe(true);

    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...chatLabels, status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(30);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
    expect(value(text, 'tokens_total', { type: 'cached_input' })).toBe(10);
    expect(value(text, 'usage_estimated_total')).toBe(0);
    expect(value(text, 'cost_usd_total')).toBeCloseTo(
      usd(20, GPT_4O.input) + usd(10, GPT_4O.cachedInput) + usd(3, GPT_4O.output),
      12,
    );
    expect(value(text, 'time_to_first_token_seconds_count', chatLabels)).toBe(1);
    expect(value(text, 'time_per_output_token_seconds_count', chatLabels)).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('passes the usage chunk through when the caller asked for it', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue(reply, reply);
    const params = { model: 'gpt-4o', messages, stream: true as const, stream_options: { include_usage: true } };
    const seen = await collect(await openai.chat.completions.create(params));
    const plain = await collect(await client().chat.completions.create(params));
    expect(seen.map((chunk) => ({ ...chunk, id: '', created: 0 }))).toStrictEqual(
      plain.map((chunk) => ({ ...chunk, id: '', created: 0 })),
    );
    expect(seen.at(-1)?.usage?.prompt_tokens).toBe(30);
    const text = await metricsText(registry);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(30);
    expect(value(text, 'usage_estimated_total')).toBe(0);
  });

  it('estimates usage when the stream reports none (injectStreamUsage: false)', async () => {
    const { registry, openai } = measured({ injectStreamUsage: false });
    env.sim.enqueue(reply);
    await collect(await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }));
    expect(requestStreamOptions(env.sim.requests[0]?.body)).toBeUndefined();
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'usage_estimated_total', chatLabels)).toBe(1);
    // o200k_base: "Hello there!" is 3 tokens.
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
    expect(value(text, 'tokens_total', { type: 'input' })).toBeGreaterThan(0);
  });

  it('records a tee()d stream once, both branches seeing every chunk', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue(reply);
    const [left, right] = (await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })).tee();
    const [a, b] = await Promise.all([collect(left), collect(right)]);
    expect(a.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello there!');
    expect(b).toStrictEqual(a);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream read through toReadableStream()', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue(reply);
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const body = await new Response(stream.toReadableStream()).text();
    const lines = body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { usage?: unknown });
    expect(lines.some((line) => line.usage !== undefined)).toBe(false);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(30);
  });

  it('records an early break as aborted, with the tokens estimated so far', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, chunkDelayMs: 5 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content === 'Hello') break;
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...chatLabels, status: 'error' })).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'usage_estimated_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records controller.abort() mid-stream as aborted', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, chunkDelayMs: 20 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const seen: string[] = [];
    try {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.includes('Hello')) stream.controller.abort();
      }
    } catch {
      // v6 may throw the abort; v7 ends quietly.
    }
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream aborted before it is read as aborted, once', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, chunkDelayMs: 20 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    stream.controller.abort();
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream cut midway as stream_error, the SDK error reaching the caller', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, cutAfterChunks: 2 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'error' })).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'stream_error' })).toBe(1);
    expect(value(text, 'usage_estimated_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(2);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records an error event mid-stream as stream_error; the caller gets the SDK APIError', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, errorEventAfterChunks: 1 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.OpenAI.APIError);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { error_type: 'stream_error' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('puts a slow first token in the right time-to-first-token bucket', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ ...reply, firstChunkDelayMs: 300 });
    await collect(await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }));
    const text = await metricsText(registry);
    expect(value(text, 'time_to_first_token_seconds_bucket', { ...chatLabels, le: '0.25' })).toBe(0);
    expect(value(text, 'time_to_first_token_seconds_bucket', { ...chatLabels, le: '0.5' })).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count', chatLabels)).toBe(1);
  });

  it('keeps withResponse() on a stream', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue(reply);
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages, stream: true })
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect((await collect(data)).length).toBeGreaterThan(0);
    expect(value(await metricsText(registry), 'tokens_total', { type: 'input' })).toBe(30);
  });

  it('measures the chat.completions.stream() helper once', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue(reply);
    const completion = await openai.chat.completions.stream({ model: 'gpt-4o', messages }).finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe('Hello there!');
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
  });
});

function requestStreamOptions(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { stream_options?: unknown }).stream_options : 'no body';
}
