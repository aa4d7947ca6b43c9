import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { Registry } from 'prom-client';
import { get_encoding } from 'tiktoken';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { type ProxyHarness, settled, startHarness, useHarness } from './proxy-harness.js';
import { postRaw, startOfSecond } from './raw-http.js';

// gpt-4o, per million tokens: $2.50 input, $1.25 cached input, $10 output.
const GPT_4O = { input: 2.5, cached: 1.25, output: 10 };
const usage = { input: 1000, output: 500, cachedInput: 200, reasoning: 50 };
const expectedCost = ((1000 - 200) * GPT_4O.input + 200 * GPT_4O.cached + 500 * GPT_4O.output) / 1e6;
const chat = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };
const messages = [{ role: 'user' as const, content: 'Say hello' }];

const h = useHarness();
beforeEach(() => h.simulator.reset());

describe('OpenAI chat completions through the proxy', () => {
  test('a JSON reply is recorded with exact tokens by type and exact cost', async () => {
    const before = await h.metrics();
    h.simulator.enqueue({ usage, text: 'Hello!' });
    const completion = await h.openai().chat.completions.create({ model: 'gpt-4o', messages });
    expect(completion.choices[0]?.message.content).toBe('Hello!');
    await settled(h);
    const after = await h.metrics();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, { ...chat, ...labels }) - sampleSum(before, name, { ...chat, ...labels });
    expect(delta('llm_requests_total', { status: 'ok' })).toBe(1);
    expect(delta('llm_tokens_total', { type: 'input' })).toBe(1000);
    expect(delta('llm_tokens_total', { type: 'output' })).toBe(500);
    expect(delta('llm_tokens_total', { type: 'cached_input' })).toBe(200);
    expect(delta('llm_tokens_total', { type: 'reasoning' })).toBe(50);
    expect(delta('llm_cost_usd_total')).toBeCloseTo(expectedCost, 12);
    expect(delta('llm_request_duration_seconds_count', { status: 'ok' })).toBe(1);
    expect(delta('llm_time_to_first_token_seconds_count')).toBe(0);
    expect(sampleSum(after, 'llm_requests_in_flight')).toBe(0);
  });

  test('a stream without include_usage: usage is asked for upstream, hidden from the client, exact', async () => {
    const before = await h.metrics();
    h.simulator.enqueue({ usage, chunks: ['Hel', 'lo', '!'] });
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello!');
    // The client sees the stream it asked for: no usage chunk, no usage field.
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    const sent = h.simulator.requests[0]?.body as Record<string, unknown>;
    expect(sent.stream_options).toEqual({ include_usage: true });
    await settled(h);
    const after = await h.metrics();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, { ...chat, ...labels }) - sampleSum(before, name, { ...chat, ...labels });
    expect(delta('llm_requests_total', { status: 'ok' })).toBe(1);
    expect(delta('llm_tokens_total', { type: 'input' })).toBe(1000);
    expect(delta('llm_tokens_total', { type: 'output' })).toBe(500);
    expect(delta('llm_tokens_total', { type: 'cached_input' })).toBe(200);
    expect(delta('llm_cost_usd_total')).toBeCloseTo(expectedCost, 12);
    expect(delta('llm_usage_estimated_total')).toBe(0);
    expect(delta('llm_time_to_first_token_seconds_count')).toBe(1);
    expect(delta('llm_time_per_output_token_seconds_count')).toBe(1);
  });

  test('a stream whose client asked for usage passes through untouched, usage chunk included', async () => {
    h.simulator.enqueue({ usage });
    const stream = await h.openai().chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBe(1000);
    expect(chunks.at(-1)?.choices).toEqual([]);
    const request = h.simulator.requests[0];
    expect(JSON.parse(request?.rawBody.toString() ?? '')).toEqual({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test('the first chunk reaches the client before the upstream sends the second', async () => {
    const reply = { chunks: ['first', 'second'], firstChunkDelayMs: 0, chunkDelayMs: 500 };
    const started = performance.now();
    const response = await fetch(`${h.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': JSON.stringify(reply) },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let received = '';
    let firstAt: number | undefined;
    let secondAt: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
      if (firstAt === undefined && received.includes('"first"')) firstAt = performance.now() - started;
      if (secondAt === undefined && received.includes('"second"')) secondAt = performance.now() - started;
    }
    expect(firstAt).toBeDefined();
    expect(secondAt).toBeDefined();
    // The simulator sends "second" 500 ms after "first": the proxy held neither.
    expect(firstAt as number).toBeLessThan(300);
    expect(secondAt as number).toBeGreaterThanOrEqual(450);
    await settled(h);
    const text = await h.metrics();
    // The time to first token was measured when "first" was written to the client, long before "second".
    const ttft = findSamples(text, 'llm_time_to_first_token_seconds_bucket', { ...chat, le: '0.25' });
    expect(ttft.reduce((sum, s) => sum + s.value, 0)).toBe(
      sampleSum(text, 'llm_time_to_first_token_seconds_count', chat),
    );
  });

  test('legacy completions streams get usage injected too', async () => {
    h.simulator.enqueue({ usage: { input: 7, output: 3 } });
    const labels = { provider: 'openai', model: 'gpt-3.5-turbo-instruct', operation: 'text_completion' };
    const stream = await h.openai().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Hi', stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? null).toBeNull();
    await settled(h);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(7);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(3);
  });
});

describe('other OpenAI operations', () => {
  test('Responses API, JSON and stream', async () => {
    const labels = { provider: 'openai', model: 'gpt-4o', operation: 'responses' };
    h.simulator.enqueue({ usage: { input: 100, output: 20, cachedInput: 40 } }, { usage: { input: 50, output: 10 } });
    const response = await h.openai().responses.create({ model: 'gpt-4o', input: 'Hi' });
    expect(response.usage?.input_tokens).toBe(100);
    const stream = await h.openai().responses.create({ model: 'gpt-4o', input: 'Hi', stream: true });
    for await (const _event of stream) {
      // drain
    }
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(2);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(150);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(30);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'cached_input' })).toBe(40);
    const cost = (110 * GPT_4O.input + 40 * GPT_4O.cached + 30 * GPT_4O.output) / 1e6;
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(cost, 12);
  });

  test('embeddings', async () => {
    const labels = { provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings' };
    h.simulator.enqueue({ usage: { input: 8, output: 0 } });
    const result = await h.openai().embeddings.create({ model: 'text-embedding-3-small', input: 'Hi' });
    expect(result.data).toHaveLength(1);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(8);
  });

  test('a path no wire format knows is proxied and counted as operation "other"', async () => {
    const models = await h.openai().models.list();
    expect(models.data.length).toBeGreaterThan(0);
    await settled(h);
    expect(await h.sum('llm_requests_total', { provider: 'openai', operation: 'other', model: 'unknown' })).toBe(1);
  });
});

describe('byte-for-byte pass-through', () => {
  // Two fresh simulators get the same requests in the same order, so their ids match; one is called directly,
  // the other through a proxy.
  let direct: Simulator;
  let behind: Simulator;
  let proxy: RunningProxy;
  beforeAll(async () => {
    direct = await startSimulator();
    behind = await startSimulator();
    proxy = await startProxy({
      port: 0,
      upstreams: { openai: behind.url },
      logLevel: 'silent',
      registry: new Registry(),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([direct?.close(), behind?.close()]);
  });

  const cases: [string, Record<string, unknown>][] = [
    ['JSON', { model: 'gpt-4o', messages }],
    ['SSE without include_usage (usage injected and removed)', { model: 'gpt-4o', messages, stream: true }],
    ['SSE with include_usage', { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } }],
    ['SSE with a tool call', { model: 'gpt-4o', messages, stream: true, tools: [] }],
  ];
  test.each(cases)('%s: the client gets exactly the bytes of a direct call', async (name, body) => {
    const reply = JSON.stringify(
      name.includes('tool') ? { text: 'Let me check.', toolCall: { name: 'lookup', arguments: '{"q":"x"}' } } : {},
    );
    await startOfSecond();
    const [viaDirect, viaProxy] = await Promise.all([
      postRaw(`${direct.url}/v1/chat/completions`, body, { 'x-simulator-reply': reply }),
      postRaw(`${proxy.url}/v1/chat/completions`, body, { 'x-simulator-reply': reply }),
    ]);
    expect(viaProxy.status).toBe(viaDirect.status);
    expect(viaProxy.headers.get('content-type')).toBe(viaDirect.headers.get('content-type'));
    expect(viaProxy.text).toBe(viaDirect.text);
    expect(viaProxy.bytes.equals(viaDirect.bytes)).toBe(true);
  });
});

describe('--stream-usage passthrough', () => {
  let p: ProxyHarness;
  beforeAll(async () => {
    p = await startHarness({ streamUsage: 'passthrough' });
  });
  afterAll(async () => {
    await p?.close();
  });

  test('streams are forwarded untouched and their tokens counted locally', async () => {
    const text = 'Hello from the llmeter simulator!';
    const stream = await p.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let received = '';
    for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    expect(received).toBe(text);
    expect(p.simulator.requests[0]?.rawBody.toString()).toBe(
      JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    );
    await settled(p);
    const encoding = get_encoding('o200k_base');
    const outputTokens = encoding.encode(text).length;
    encoding.free();
    expect(await p.sum('llm_usage_estimated_total', chat)).toBe(1);
    expect(await p.sum('llm_tokens_total', { ...chat, type: 'output' })).toBe(outputTokens);
    expect(await p.sum('llm_tokens_total', { ...chat, type: 'input' })).toBeGreaterThan(0);
  });
});
