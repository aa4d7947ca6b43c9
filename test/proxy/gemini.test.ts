import { ApiError, GoogleGenAI } from '@google/genai';
import { beforeEach, describe, expect, test } from 'vitest';
import { captureLog } from '../support/captured-log.js';
import { UNREACHABLE_UPSTREAM_URL } from '../support/unreachable-upstream.js';
import { settled, useHarness } from './proxy-harness.js';

// Per-million prices from @pydantic/genai-prices' bundled data (provider `google`), thoughts charged as output:
// gemini-2.5-flash input 0.30, cache read 0.03, output 2.50.
const FLASH = { input: 0.3, cacheRead: 0.03, output: 2.5 };
const usd = (tokens: number, perMillion: number): number => (tokens * perMillion) / 1e6;

const API_KEY = 'AIzaSyLLMETER-proxy-not-a-real-key-0123';
const flash = 'gemini-2.5-flash';
const chat = { provider: 'gemini', model: flash, operation: 'chat' };
// 1000 prompt tokens, 600 of them cached; 500 output tokens, 300 of them thoughts.
const usage = { input: 1000, output: 500, cachedInput: 600, reasoning: 300 };
const flashCost = usd(400, FLASH.input) + usd(600, FLASH.cacheRead) + usd(500, FLASH.output);

const log = captureLog('debug');
const { logger, lines: logLines } = log;

const h = useHarness({ logger }, { gone: UNREACHABLE_UPSTREAM_URL });
beforeEach(async () => {
  h.simulator.reset();
  await h.registry.resetMetrics();
  log.clear();
});

/** A Gen AI SDK client whose base URL is the proxy's `gemini` route (or `route`); no retries. */
function genai(route = 'gemini'): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: API_KEY,
    httpOptions: { baseUrl: `${h.proxy.url}/${route}`, retryOptions: { attempts: 1 } },
  });
}

async function expectUsage(labels: Record<string, string>, stream: boolean): Promise<void> {
  await settled(h);
  expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
  expect(await h.sum('llm_requests_total')).toBe(1);
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(usage.input);
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'cached_input' })).toBe(usage.cachedInput);
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(usage.output);
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'reasoning' })).toBe(usage.reasoning);
  expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(flashCost, 15);
  expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(stream ? 1 : 0);
  expect(await h.sum('llm_usage_estimated_total')).toBe(0);
  expect(await h.sum('llm_requests_in_flight')).toBe(0);
}

/** The key never reaches the logs nor `/metrics`. */
async function expectNoKey(): Promise<void> {
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('')).not.toContain(API_KEY);
  expect(await h.metrics()).not.toContain(API_KEY);
}

describe('the Gen AI SDK through the proxy', () => {
  test('generateContent: tokens by type and cost, the model from the path, the key kept out', async () => {
    h.simulator.enqueue({ text: 'Hello from Gemini', usage });
    const response = await genai().models.generateContent({ model: flash, contents: 'Hi' });
    expect(response.text).toBe('Hello from Gemini');
    expect(h.simulator.requests[0]?.url).toMatch(new RegExp(`/models/${flash}:generateContent$`));
    expect(h.simulator.requests[0]?.headers['x-goog-api-key']).toBe(API_KEY);
    await expectUsage(chat, false);
    await expectNoKey();
  });

  test('generateContentStream (SSE): tokens counted once (cumulative, last wins), time to first token', async () => {
    h.simulator.enqueue({ chunks: ['Hel', 'lo', ' there'], usage, firstChunkDelayMs: 20 });
    let text = '';
    for await (const chunk of await genai().models.generateContentStream({ model: flash, contents: 'Hi' })) {
      text += chunk.text ?? '';
    }
    expect(text).toBe('Hello there');
    expect(h.simulator.requests[0]?.url).toMatch(/:streamGenerateContent\?alt=sse$/);
    await expectUsage(chat, true);
    expect(await h.sum('llm_time_to_first_token_seconds_sum', chat)).toBeGreaterThanOrEqual(0.02);
    await expectNoKey();
  });

  test('embedContent (batchEmbedContents on the wire): input tokens and cost', async () => {
    h.simulator.enqueue({ usage: { input: 9, output: 0 } });
    const response = await genai().models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['first text', 'second text'],
      config: { outputDimensionality: 16 },
    });
    expect(response.embeddings?.map((e) => e.values?.length)).toEqual([16, 16]);
    expect(h.simulator.requests[0]?.url).toMatch(/\/models\/gemini-embedding-001:batchEmbedContents$/);
    await settled(h);
    const labels = { provider: 'gemini', model: 'gemini-embedding-001', operation: 'embeddings' };
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(9);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(0);
    // gemini-embedding-001: input 0.15.
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(usd(9, 0.15), 15);
    await expectNoKey();
  });

  test.each([
    [429, 'rate_limit'],
    [500, 'server_error'],
  ])('an upstream %i reaches the SDK as its ApiError and counts as %s', async (status, errorType) => {
    h.simulator.enqueue({ status });
    const error = await genai()
      .models.generateContent({ model: flash, contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: errorType })).toBe(1);
    expect(await h.sum('llm_requests_total')).toBe(1);
    await expectNoKey();
  });

  test('a stream the caller abandons (its abortSignal) is recorded once, as aborted', async () => {
    h.simulator.enqueue({ chunks: ['a', 'b', 'c', 'd', 'e', 'f'], usage, chunkDelayMs: 100 });
    const abort = new AbortController();
    let chunks = 0;
    const stream = await genai().models.generateContentStream({
      model: flash,
      contents: 'Hi',
      config: { abortSignal: abort.signal },
    });
    await expect(
      (async () => {
        for await (const _chunk of stream) {
          chunks++;
          if (chunks === 2) abort.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(chunks).toBe(2);
    await settled(h);
    expect(await h.sum('llm_requests_total')).toBe(1);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: 'aborted' })).toBe(1);
    expect(await h.sum('llm_time_to_first_token_seconds_count', chat)).toBe(1);
    await expectNoKey();
  });

  test("the proxy's own 502 is in Google's error format, which the SDK reads", async () => {
    const error = await genai('gone')
      .models.generateContent({ model: flash, contents: 'Hi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toContain('UNAVAILABLE');
    expect((error as ApiError).message).toMatch(/llmeter proxy: upstream \\"gone\\" is unreachable/);
    await settled(h);
    const labels = { provider: 'gone', model: flash, operation: 'chat' };
    expect(await h.sum('llm_request_failures_total', { ...labels, error_type: 'network' })).toBe(1);
    await expectNoKey();
  });
});

describe('Gemini wire details', () => {
  const streamUrl = (query = ''): string =>
    `${h.proxy.url}/gemini/v1beta/models/${flash}:streamGenerateContent${query}`;
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  /** Streams `reply` from the simulator through the proxy, the key in the `x-goog-api-key` header. */
  const postStream = (reply: object): Promise<Response> =>
    fetch(streamUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-goog-api-key': API_KEY,
        'x-simulator-reply': JSON.stringify(reply),
      },
      body,
    });

  test('the JSON-array stream is passed on as it comes and measured element by element', async () => {
    const reply = { chunks: ['first', 'second'], usage, firstChunkDelayMs: 0, chunkDelayMs: 500 };
    const started = performance.now();
    const response = await fetch(streamUrl(`?key=${API_KEY}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': JSON.stringify(reply) },
      body,
    });
    expect(response.headers.get('content-type')).toContain('application/json');
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let received = '';
    let firstAt: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
      if (firstAt === undefined && received.includes('first')) firstAt = performance.now() - started;
    }
    const elements = JSON.parse(received) as { usageMetadata?: { promptTokenCount?: number } }[];
    expect(elements.length).toBeGreaterThanOrEqual(2);
    // The first element reached the client long before the upstream sent the second, 500 ms later.
    expect(firstAt as number).toBeLessThan(300);
    expect(h.simulator.requests[0]?.url).toBe(`/v1beta/models/${flash}:streamGenerateContent?key=${API_KEY}`);
    await expectUsage(chat, true);
    expect(await h.sum('llm_time_to_first_token_seconds_sum', chat)).toBeLessThan(0.3);
    // The query's key is in neither the log line's path nor anywhere else.
    const line = logLines.find((l) => l.includes('"llm call"'));
    expect(line).toContain(`"path":"/v1beta/models/${flash}:streamGenerateContent"`);
    await expectNoKey();
  });

  test('a JSON-array stream the client cancels after its first element is recorded once, as aborted', async () => {
    const reply = { chunks: ['first', 'second', 'third'], usage, chunkDelayMs: 200 };
    const response = await postStream(reply);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    let received = '';
    while (!received.includes('first')) {
      const { done, value } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    await reader.cancel();
    await settled(h);
    expect(await h.sum('llm_requests_total')).toBe(1);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: 'aborted' })).toBe(1);
    expect(await h.sum('llm_time_to_first_token_seconds_count', chat)).toBe(1);
    await expectNoKey();
  });

  test('a JSON-array stream the upstream cuts is recorded once, as failed', async () => {
    const reply = { chunks: ['first', 'second', 'third'], usage, cutAfterChunks: 1 };
    const response = await postStream(reply);
    await expect(response.text()).rejects.toThrow();
    await settled(h);
    expect(await h.sum('llm_requests_total')).toBe(1);
    expect(await h.sum('llm_requests_total', { ...chat, status: 'ok' })).toBe(0);
    expect(await h.sum('llm_request_failures_total', chat)).toBe(1);
  });

  test('a Vertex AI path names the model the same way', async () => {
    h.simulator.enqueue({ text: 'From Vertex', usage });
    const path = `/gemini/v1/projects/p1/locations/us-central1/publishers/google/models/${flash}:generateContent`;
    const response = await fetch(`${h.proxy.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body,
    });
    expect(response.status).toBe(200);
    await response.text();
    await expectUsage(chat, false);
    await expectNoKey();
  });

  test("the proxy's own 400 for a refused target is in Google's error format", async () => {
    const response = await fetch(`${h.proxy.url}/gemini//v1beta/models/x:generateContent?key=${API_KEY}`, {
      method: 'POST',
      body,
    });
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: { code: number; status: string; message: string } };
    expect(error.error.code).toBe(400);
    expect(error.error.status).toBe('INVALID_ARGUMENT');
    expect(error.error.message).toMatch(/^llmeter proxy: /);
    expect(logLines.join('')).not.toContain(API_KEY);
  });
});
