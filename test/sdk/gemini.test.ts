import { ApiError, GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { geminiWireFormat, JsonArrayStreamParser, SseParser } from '@llmeter/core/wire';
import { instrument } from '@llmeter/sdk';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsText, series, usd, useSimulator, value } from './harness.js';
import { expectInFlightUntilCollected, expectOneCall, measure } from './measured-client.js';

// Per-million prices from @pydantic/genai-prices' bundled data (provider `google`), thoughts charged as output:
// gemini-2.5-flash input 0.30, cache read 0.03, output 2.50; gemini-2.5-pro (prompts up to 200k) input 1.25,
// cache read 0.125, output 10; gemini-embedding-001 input 0.15.
const FLASH = { input: 0.3, cacheRead: 0.03, output: 2.5 };
const PRO = { input: 1.25, cacheRead: 0.125, output: 10 };
const EMBEDDING = 0.15;

const API_KEY = 'AIzaSyLLMETER-not-a-real-key-0123456789';
const flash = 'gemini-2.5-flash';
const chat = { provider: 'gemini', model: flash, operation: 'chat' };
// 1000 prompt tokens, 600 of them cached; 500 output tokens, 300 of them thoughts.
const usage = { input: 1000, output: 500, cachedInput: 600, reasoning: 300 };
const flashCost = usd(400, FLASH.input) + usd(600, FLASH.cacheRead) + usd(500, FLASH.output);

describe('@google/genai', () => {
  const env = useSimulator();
  const measured = (options: { vertexai?: boolean } = {}) => {
    const run = measure(new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: env.sim.url }, ...options }));
    return { ...run, ai: run.client };
  };

  async function expectUsage(registry: Registry, labels: Record<string, string>, stream: boolean, cost: number) {
    expectOneCall(await metricsText(registry), labels, { tokens: usage, cost, stream, secret: API_KEY });
  }

  it('measures models.generateContent, keeping the SDK response', async () => {
    const { registry, ai, reported } = measured();
    env.sim.enqueue({ text: 'Hello from Gemini', usage });
    const response = await ai.models.generateContent({ model: flash, contents: 'Hi' });
    expect(response).toBeInstanceOf(GenerateContentResponse);
    expect(response.text).toBe('Hello from Gemini');
    expect(response.usageMetadata?.thoughtsTokenCount).toBe(300);
    expect(env.sim.requests[0]?.url).toBe(`/v1/models/${flash}:generateContent`);
    expect(env.sim.requests[0]?.headers['x-goog-api-key']).toBe(API_KEY);
    await expectUsage(registry, chat, false, flashCost);
    expect(reported).toEqual([]);
  });

  it('measures models.generateContentStream over SSE: tokens, cost, time to first token', async () => {
    const { registry, ai, reported } = measured();
    env.sim.enqueue({ chunks: ['Hel', 'lo', ' there'], usage, firstChunkDelayMs: 20 });
    const stream = await ai.models.generateContentStream({ model: flash, contents: 'Hi' });
    let text = '';
    for await (const chunk of stream) {
      expect(chunk).toBeInstanceOf(GenerateContentResponse);
      text += chunk.text ?? '';
    }
    expect(text).toBe('Hello there');
    expect(env.sim.requests[0]?.url).toBe(`/v1/models/${flash}:streamGenerateContent?alt=sse`);
    await expectUsage(registry, chat, true, flashCost);
    const ttft = value(await metricsText(registry), 'time_to_first_token_seconds_sum', chat);
    expect(ttft).toBeGreaterThanOrEqual(0.02);
    expect(reported).toEqual([]);
  });

  it('prices gemini-2.5-pro from the response model, thoughts as output', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ text: 'Deep thought', usage, responseModel: 'gemini-2.5-pro' });
    await ai.models.generateContent({ model: 'models/gemini-2.5-pro', contents: 'Think' });
    const labels = { provider: 'gemini', model: 'gemini-2.5-pro', operation: 'chat' };
    await expectUsage(registry, labels, false, usd(400, PRO.input) + usd(600, PRO.cacheRead) + usd(500, PRO.output));
  });

  it('measures models.embedContent (batchEmbedContents on the wire)', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ usage: { input: 9, output: 0 } });
    const response = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['first text', 'second text'],
      config: { outputDimensionality: 16 },
    });
    expect(response.embeddings?.map((e) => e.values?.length)).toEqual([16, 16]);
    expect(env.sim.requests[0]?.url).toBe('/v1/models/gemini-embedding-001:batchEmbedContents');
    const text = await metricsText(registry);
    const labels = { provider: 'gemini', model: 'gemini-embedding-001', operation: 'embeddings' };
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(9);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(0);
    expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(usd(9, EMBEDDING), 15);
  });

  it('measures chats built on models: sendMessage and sendMessageStream, once each', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ text: 'First answer', usage }, { chunks: ['Second', ' answer'], usage });
    const session = ai.chats.create({ model: flash });
    expect((await session.sendMessage({ message: 'One' })).text).toBe('First answer');
    let streamed = '';
    for await (const chunk of await session.sendMessageStream({ message: 'Two' })) streamed += chunk.text ?? '';
    expect(streamed).toBe('Second answer');
    expect(session.getHistory().map((content) => content.role)).toEqual(['user', 'model', 'user', 'model', 'model']);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...chat, status: 'ok' })).toBe(2);
    expect(value(text, 'tokens_total', { ...chat, type: 'input' })).toBe(2 * usage.input);
    expect(value(text, 'tokens_total', { ...chat, type: 'reasoning' })).toBe(2 * usage.reasoning);
    expect(value(text, 'cost_usd_total', chat)).toBeCloseTo(2 * flashCost, 15);
    expect(value(text, 'time_to_first_token_seconds_count', chat)).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('measures a client instrumented twice once per call, and keeps the SDK promise type', async () => {
    const { registry, ai } = measured();
    expect(instrument(ai, { registry })).toBe(ai);
    env.sim.enqueue({ text: 'Once', usage });
    const pending = ai.models.generateContent({ model: flash, contents: 'Hi' });
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(value(await metricsText(registry), 'requests_total')).toBe(1);
  });

  it('labels a Vertex AI client vertex_ai, priced as Google', async () => {
    const { registry, ai } = measured({ vertexai: true });
    env.sim.enqueue({ text: 'From Vertex', usage });
    await ai.models.generateContent({ model: flash, contents: 'Hi' });
    expect(env.sim.requests[0]?.url).toMatch(/\/publishers\/google\/models\/gemini-2\.5-flash:generateContent$/);
    await expectUsage(registry, { ...chat, provider: 'vertex_ai' }, false, flashCost);
  });

  describe.each([
    [429, 'rate_limit'],
    [500, 'server_error'],
    [503, 'overloaded'],
  ] as const)('a %i', (status, errorType) => {
    it.each([false, true])('is counted as %s (stream: %s) and the caller gets the SDK ApiError', async (stream) => {
      const { registry, ai, reported } = measured();
      env.sim.enqueue({ status });
      const params = { model: flash, contents: 'Hi' };
      const error = await (stream ? ai.models.generateContentStream(params) : ai.models.generateContent(params)).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(status);
      expect((error as ApiError).message).not.toContain(API_KEY);
      const text = await metricsText(registry);
      expect(value(text, 'request_failures_total', { ...chat, error_type: errorType })).toBe(1);
      expect(value(text, 'requests_total', { ...chat, status: 'error' })).toBe(1);
      expect(value(text, 'requests_total')).toBe(1);
      expect(value(text, 'tokens_total')).toBe(0);
      expect(value(text, 'requests_in_flight')).toBe(0);
      expect(reported).toEqual([]);
    });
  });

  it('records an error chunk mid-stream once, as stream_error, with the usage seen before it', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage, errorEventAfterChunks: 1 });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: flash, contents: 'Hi' })) {
        seen.push(chunk.text ?? '');
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['a']);
    expect(error).toBeInstanceOf(ApiError);
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...chat, error_type: 'stream_error' }]);
    expect(value(text, 'request_failures_total')).toBe(1);
    expect(value(text, 'tokens_total', { ...chat, type: 'input' })).toBe(usage.input);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream the caller breaks out of once, as aborted', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 5 });
    for await (const chunk of await ai.models.generateContentStream({ model: flash, contents: 'Hi' })) {
      expect(chunk.text).toBe('one');
      break;
    }
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { ...chat, error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream cancelled through abortSignal once, as aborted', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 200 });
    const controller = new AbortController();
    const stream = await ai.models.generateContentStream({
      model: flash,
      contents: 'Hi',
      config: { abortSignal: controller.signal },
    });
    const error = await (async () => {
      for await (const _ of stream) controller.abort();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { ...chat, error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream the caller drops unread once it is garbage-collected, as aborted', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ chunks: ['never', ' read'], usage });
    await (async () => {
      await ai.models.generateContentStream({ model: flash, contents: 'Hi' });
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { ...chat, error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
  });

  it('records a stream cut by the connection as stream_error', async () => {
    const { registry, ai } = measured();
    env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage, cutAfterChunks: 1 });
    const error = await (async () => {
      for await (const _ of await ai.models.generateContentStream({ model: flash, contents: 'Hi' })) {
        // read on
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...chat, error_type: 'stream_error' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });
});

describe("the simulator's two Gemini stream framings, read by the wire format", () => {
  const env = useSimulator();

  async function readStream(framing: 'sse' | 'json-array') {
    env.sim.enqueue({ chunks: ['Hel', 'lo', ' there'], usage, responseModel: 'gemini-2.5-flash' });
    const query = framing === 'sse' ? '?alt=sse' : '';
    const response = await fetch(`${env.sim.url}/v1beta/models/${flash}:streamGenerateContent${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': API_KEY },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Hi' }] }] }),
    });
    const accumulator = geminiWireFormat.createStreamAccumulator('chat');
    const kinds: string[] = [];
    const take = (data: string) => kinds.push(accumulator.pushRaw(data));
    const parser =
      framing === 'sse' ? new SseParser((event) => take(event.data)) : new JsonArrayStreamParser((text) => take(text));
    for await (const chunk of response.body as ReadableStream<Uint8Array>) parser.push(chunk);
    parser.end();
    const summary = accumulator.summary();
    return {
      kinds,
      usage: summary.usage,
      model: summary.responseModel,
      finished: summary.finished,
      text: summary.outputText(),
    };
  }

  it('yields the same call from ?alt=sse and from the default JSON array', async () => {
    const expected = {
      kinds: ['content', 'content', 'content'],
      usage: { input: 1000, output: 500, cachedInput: 600, cacheWrite: 0, reasoning: 300 },
      model: 'gemini-2.5-flash',
      finished: true,
      text: 'Hello there',
    };
    expect(await readStream('sse')).toEqual(expected);
    expect(await readStream('json-array')).toEqual(expected);
  });
});
