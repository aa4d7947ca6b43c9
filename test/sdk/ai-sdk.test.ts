import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { llmeterEmbeddingMiddleware, llmeterMiddleware, withLabels } from '@llmeter/sdk';
import type { SimulatedUsage } from '@llmeter/simulator';
import {
  APICallError,
  embed,
  generateText,
  jsonSchema,
  streamText,
  tool,
  wrapEmbeddingModel,
  wrapLanguageModel,
} from 'ai';
import { createOpenAI as createOpenAIv2 } from 'ai-sdk-openai-v2';
import { createOpenAI as createOpenAIv3 } from 'ai-sdk-openai-v3';
import * as v5 from 'ai-v5';
import * as v6 from 'ai-v6';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { eventually, metricsText, newRegistry, series, usd, useSimulator, value } from './harness.js';
import { expectInFlightUntilCollected } from './measured-client.js';

// Per-million prices from @pydantic/genai-prices' bundled data, reasoning charged as output.
const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const SONNET = { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 };
const FLASH = { input: 0.3, cacheRead: 0.03, output: 2.5 };
const EMBEDDING_3_SMALL = 0.02;

// 1000 prompt tokens, 600 of them cached; 500 output tokens, 300 of them reasoning.
const usage: SimulatedUsage = { input: 1000, output: 500, cachedInput: 600, reasoning: 300 };
const gpt4oCost = usd(400, GPT_4O.input) + usd(600, GPT_4O.cachedInput) + usd(500, GPT_4O.output);
// Anthropic reports no reasoning split, and writes to its cache: 200 new, 600 read, 200 written.
const anthropicUsage: SimulatedUsage = { input: 1000, output: 50, cachedInput: 600, cacheWrite: 200 };
const sonnetCost =
  usd(200, SONNET.input) + usd(600, SONNET.cacheRead) + usd(200, SONNET.cacheWrite) + usd(50, SONNET.output);
const flashCost = usd(400, FLASH.input) + usd(600, FLASH.cacheRead) + usd(500, FLASH.output);

const gpt4o = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };
const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
});

interface Expected {
  labels: Record<string, string>;
  usage: SimulatedUsage;
  cost: number;
  stream: boolean;
}

async function expectOneCall(registry: Registry, expected: Expected): Promise<void> {
  const { labels } = expected;
  const text = await metricsText(registry);
  expect(series(text, 'requests_total')).toEqual([{ ...labels, status: 'ok' }]);
  expect(value(text, 'requests_total')).toBe(1);
  expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(expected.usage.input);
  expect(value(text, 'tokens_total', { ...labels, type: 'cached_input' })).toBe(expected.usage.cachedInput ?? 0);
  expect(value(text, 'tokens_total', { ...labels, type: 'cache_write' })).toBe(expected.usage.cacheWrite ?? 0);
  expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(expected.usage.output);
  expect(value(text, 'tokens_total', { ...labels, type: 'reasoning' })).toBe(expected.usage.reasoning ?? 0);
  expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(expected.cost, 15);
  expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(expected.stream ? 1 : 0);
  expect(value(text, 'usage_estimated_total')).toBe(0);
  expect(value(text, 'unpriced_requests_total')).toBe(0);
  expect(value(text, 'request_failures_total')).toBe(0);
  expect(value(text, 'requests_in_flight')).toBe(0);
}

async function expectOneFailure(registry: Registry, labels: Record<string, string>, errorType: string) {
  const text = await metricsText(registry);
  expect(series(text, 'request_failures_total')).toEqual([{ ...labels, error_type: errorType }]);
  expect(value(text, 'request_failures_total')).toBe(1);
  expect(value(text, 'requests_total')).toBe(1);
  expect(value(text, 'requests_total', { ...labels, status: 'error' })).toBe(1);
  expect(value(text, 'requests_in_flight')).toBe(0);
}

describe('llmeterMiddleware with the Vercel AI SDK', () => {
  const env = useSimulator();
  const setup = () => {
    const registry = newRegistry();
    const reported: unknown[] = [];
    const middleware = llmeterMiddleware({ registry, onError: (error) => reported.push(error) });
    return { registry, reported, middleware };
  };
  const openaiProvider = () => createOpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1` });

  describe('ai 7 with @ai-sdk/openai 4', () => {
    it('measures generateText on chat completions: tokens by type, cost, response model', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi there', usage, responseModel: 'gpt-4o-2024-08-06' });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const result = await generateText({ model, prompt: 'Hello' });
      expect(result.text).toBe('Hi there');
      expect(env.sim.requests[0]?.path).toBe('/v1/chat/completions');
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: false });
      expect(reported).toEqual([]);
    });

    it('measures streamText on chat completions: tokens, cost, time to first token', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo', '!'], usage, firstChunkDelayMs: 30 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const result = streamText({ model, prompt: 'Hello' });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text).toBe('Hello!');
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: true });
      const ttft = value(await metricsText(registry), 'time_to_first_token_seconds_sum', gpt4o);
      expect(ttft).toBeGreaterThanOrEqual(0.025);
      expect(reported).toEqual([]);
    });

    it('measures a streamed tool call, its first token at the first tool-input delta', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ toolCall: { name: 'weather', arguments: '{"city":"Paris, France"}' }, usage });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const result = streamText({ model, prompt: 'Weather in Paris?', tools: { weather } });
      const types = new Set<string>();
      for await (const part of result.fullStream) types.add(part.type);
      expect(types).toContain('tool-input-delta');
      expect((await result.toolCalls)[0]?.input).toEqual({ city: 'Paris, France' });
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: true });
      expect(reported).toEqual([]);
    });

    it('measures generateText and streamText on the Responses API (the provider default)', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'One', usage }, { chunks: ['Two', '!'], usage });
      const model = wrapLanguageModel({ model: openaiProvider()('gpt-4o'), middleware });
      expect((await generateText({ model, prompt: 'Hello' })).text).toBe('One');
      const streamed = streamText({ model, prompt: 'Hello' });
      expect(await streamed.text).toBe('Two!');
      expect(env.sim.requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses']);
      const text = await metricsText(registry);
      expect(series(text, 'requests_total')).toEqual([{ ...gpt4o, status: 'ok' }]);
      expect(value(text, 'requests_total')).toBe(2);
      expect(value(text, 'tokens_total', { ...gpt4o, type: 'input' })).toBe(2000);
      expect(value(text, 'tokens_total', { ...gpt4o, type: 'cached_input' })).toBe(1200);
      expect(value(text, 'tokens_total', { ...gpt4o, type: 'reasoning' })).toBe(600);
      expect(value(text, 'cost_usd_total', gpt4o)).toBeCloseTo(2 * gpt4oCost, 15);
      expect(value(text, 'time_to_first_token_seconds_count', gpt4o)).toBe(1);
      expect(value(text, 'requests_in_flight')).toBe(0);
      expect(reported).toEqual([]);
    });

    it('records a 429 as rate_limit and a 500 as server_error, once per attempt', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 429 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const error = await generateText({ model, prompt: 'Hello', maxRetries: 0 }).catch((e: unknown) => e);
      expect(APICallError.isInstance(error)).toBe(true);
      await expectOneFailure(registry, gpt4o, 'rate_limit');

      const second = setup();
      env.sim.enqueue({ status: 500 });
      const streamed = streamText({
        model: wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware: second.middleware }),
        prompt: 'Hello',
        maxRetries: 0,
        onError: () => {},
      });
      await streamed.consumeStream();
      await expectOneFailure(second.registry, gpt4o, 'server_error');

      // The AI SDK retries above its middleware: each attempt is a call the provider answered.
      const third = setup();
      env.sim.enqueue({ status: 500, headers: { 'retry-after-ms': '1' } }, { text: 'ok', usage });
      const retried = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware: third.middleware });
      expect((await generateText({ model: retried, prompt: 'Hello', maxRetries: 1 })).text).toBe('ok');
      const text = await metricsText(third.registry);
      expect(value(text, 'requests_total', { ...gpt4o, status: 'ok' })).toBe(1);
      expect(value(text, 'request_failures_total', { ...gpt4o, error_type: 'server_error' })).toBe(1);
      expect(value(text, 'requests_total')).toBe(2);
    });

    it('records an error event inside the stream as stream_error, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage, errorEventAfterChunks: 1 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const result = streamText({ model, prompt: 'Hello', onError: () => {} });
      await result.consumeStream();
      await expectOneFailure(registry, gpt4o, 'stream_error');
      expect(value(await metricsText(registry), 'time_to_first_token_seconds_count', gpt4o)).toBe(1);
    });

    it('records a stream whose connection is cut as stream_error, once, with its tokens estimated', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage, cutAfterChunks: 2 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      await streamText({ model, prompt: 'Hello', onError: () => {} }).consumeStream();
      await expectOneFailure(registry, gpt4o, 'stream_error');
      expect(value(await metricsText(registry), 'usage_estimated_total')).toBe(1);
      expect(reported).toEqual([]);
    });

    it('records a stream the caller aborts (abortSignal) as aborted, once, with its tokens estimated', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three', ' four'], usage, chunkDelayMs: 200 });
      const controller = new AbortController();
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const result = streamText({ model, prompt: 'Count', abortSignal: controller.signal, onError: () => {} });
      const seen: string[] = [];
      for await (const delta of result.textStream) {
        seen.push(delta);
        controller.abort();
      }
      expect(seen).toEqual(['one']);
      await eventually(async () => value(await metricsText(registry), 'requests_in_flight') === 0);
      await expectOneFailure(registry, gpt4o, 'aborted');
      const text = await metricsText(registry);
      expect(value(text, 'time_to_first_token_seconds_count', gpt4o)).toBe(1);
      expect(value(text, 'usage_estimated_total')).toBe(1);
      expect(value(text, 'tokens_total', { ...gpt4o, type: 'output' })).toBe(1);
      expect(reported).toEqual([]);
    });

    it('records a stream the caller stops reading (a break) once: the AI SDK reads the model stream to its end', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 20 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      await (async () => {
        const result = streamText({ model, prompt: 'Count' });
        for await (const _ of result.textStream) break;
      })();
      // streamText keeps reading the model's stream for its own results, so the whole answer was delivered
      // and billed: an ok call with the reported usage, not an abort.
      await eventually(async () => value(await metricsText(registry), 'requests_in_flight') === 0);
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: true });
      expect(reported).toEqual([]);
    });

    it('records a model stream dropped unread (doStream called directly) as aborted once it is garbage-collected', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ chunks: ['never', ' read'], usage, chunkDelayMs: 20 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      await (async () => {
        const { stream } = await model.doStream({
          prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
        });
        expect(stream).toBeInstanceOf(ReadableStream);
      })();
      await expectInFlightUntilCollected(registry);
      await expectOneFailure(registry, gpt4o, 'aborted');
    });

    it('records a model stream the caller cancels (doStream called directly) as aborted, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 20 });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
      const reader = stream.getReader();
      let part = await reader.read();
      // The first text delta with text in it (a role-only chunk gives an empty one first).
      while (!part.done && !(part.value.type === 'text-delta' && part.value.delta !== '')) part = await reader.read();
      await reader.cancel();
      await expectOneFailure(registry, gpt4o, 'aborted');
      const text = await metricsText(registry);
      expect(value(text, 'time_to_first_token_seconds_count', gpt4o)).toBe(1);
      expect(value(text, 'usage_estimated_total')).toBe(1);
    });

    it('carries static labels and withLabels scopes', async () => {
      const registry = newRegistry();
      const middleware = llmeterMiddleware({ registry, labels: { app: 'search' }, labelNames: ['team'] });
      env.sim.enqueue({ text: 'Hi', usage });
      const model = wrapLanguageModel({ model: openaiProvider().chat('gpt-4o'), middleware });
      await withLabels({ team: 'ads' }, () => generateText({ model, prompt: 'Hello' }));
      const text = await metricsText(registry);
      expect(series(text, 'requests_total')).toEqual([{ ...gpt4o, status: 'ok', app: 'search', team: 'ads' }]);
    });

    it('measures embed through wrapEmbeddingModel as embeddings', async () => {
      const registry = newRegistry();
      env.sim.enqueue({ usage: { input: 8, output: 0 } });
      const model = wrapEmbeddingModel({
        model: openaiProvider().embedding('text-embedding-3-small'),
        middleware: llmeterEmbeddingMiddleware({ registry }),
      });
      const { embedding } = await embed({ model, value: 'sunny day at the beach' });
      expect(embedding.length).toBeGreaterThan(0);
      const labels = { provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings' };
      await expectOneCall(registry, {
        labels,
        usage: { input: 8, output: 0 },
        cost: usd(8, EMBEDDING_3_SMALL),
        stream: false,
      });
    });
  });

  describe('ai 7 with @ai-sdk/anthropic', () => {
    const sonnet = { provider: 'anthropic', model: 'claude-sonnet-4-5', operation: 'chat' };
    const anthropic = () => createAnthropic({ apiKey: 'sk-ant-test', baseURL: `${env.sim.url}/v1` });

    it('measures generateText: cache reads and writes', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi', usage: anthropicUsage });
      const model = wrapLanguageModel({ model: anthropic()('claude-sonnet-4-5'), middleware });
      expect((await generateText({ model, prompt: 'Hello' })).text).toBe('Hi');
      expect(env.sim.requests[0]?.path).toBe('/v1/messages');
      await expectOneCall(registry, { labels: sonnet, usage: anthropicUsage, cost: sonnetCost, stream: false });
      expect(reported).toEqual([]);
    });

    it('measures streamText with a tool call', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({
        text: 'Let me look.',
        toolCall: { name: 'weather', arguments: '{"city":"Oslo"}' },
        usage: anthropicUsage,
      });
      const model = wrapLanguageModel({ model: anthropic()('claude-sonnet-4-5'), middleware });
      const result = streamText({ model, prompt: 'Weather in Oslo?', tools: { weather } });
      await result.consumeStream();
      expect((await result.toolCalls)[0]?.input).toEqual({ city: 'Oslo' });
      await expectOneCall(registry, { labels: sonnet, usage: anthropicUsage, cost: sonnetCost, stream: true });
      expect(reported).toEqual([]);
    });

    it('records a 429 as rate_limit', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 429 });
      const model = wrapLanguageModel({ model: anthropic()('claude-sonnet-4-5'), middleware });
      await expect(generateText({ model, prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      await expectOneFailure(registry, sonnet, 'rate_limit');
    });
  });

  describe('ai 7 with @ai-sdk/google', () => {
    const flash = { provider: 'gemini', model: 'gemini-2.5-flash', operation: 'chat' };
    const google = () => createGoogleGenerativeAI({ apiKey: 'AIza-test', baseURL: `${env.sim.url}/v1beta` });

    it('measures generateText and streamText: thoughts as reasoning', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi', usage });
      const model = wrapLanguageModel({ model: google()('gemini-2.5-flash'), middleware });
      expect((await generateText({ model, prompt: 'Hello' })).text).toBe('Hi');
      await expectOneCall(registry, { labels: flash, usage, cost: flashCost, stream: false });

      const second = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo'], usage });
      const streamed = wrapLanguageModel({ model: google()('gemini-2.5-flash'), middleware: second.middleware });
      expect(await streamText({ model: streamed, prompt: 'Hello' }).text).toBe('Hello');
      await expectOneCall(second.registry, { labels: flash, usage, cost: flashCost, stream: true });
      expect([...reported, ...second.reported]).toEqual([]);
    });

    it('records a 500 as server_error', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 500 });
      const model = wrapLanguageModel({ model: google()('gemini-2.5-flash'), middleware });
      await expect(generateText({ model, prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      await expectOneFailure(registry, flash, 'server_error');
    });
  });

  describe('ai 6 with @ai-sdk/openai 3 (LanguageModelV3)', () => {
    const provider = () => createOpenAIv3({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1` });

    it('measures generateText and streamText', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi', usage });
      const model = v6.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware });
      expect((await v6.generateText({ model, prompt: 'Hello' })).text).toBe('Hi');
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: false });

      const second = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo'], usage });
      const streamed = v6.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware: second.middleware });
      expect(await v6.streamText({ model: streamed, prompt: 'Hello' }).text).toBe('Hello');
      await expectOneCall(second.registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: true });
      expect([...reported, ...second.reported]).toEqual([]);
    });

    it('records a 429 as rate_limit, and measures embed', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 429 });
      const model = v6.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware });
      await expect(v6.generateText({ model, prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      await expectOneFailure(registry, gpt4o, 'rate_limit');

      const embeddings = newRegistry();
      env.sim.enqueue({ usage: { input: 8, output: 0 } });
      const embedder = v6.wrapEmbeddingModel({
        model: provider().embedding('text-embedding-3-small'),
        middleware: llmeterEmbeddingMiddleware({ registry: embeddings }),
      });
      await v6.embed({ model: embedder, value: 'sunny day' });
      const labels = { provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings' };
      await expectOneCall(embeddings, {
        labels,
        usage: { input: 8, output: 0 },
        cost: usd(8, EMBEDDING_3_SMALL),
        stream: false,
      });
    });
  });

  describe('ai 5 with @ai-sdk/openai 2 (LanguageModelV2)', () => {
    const provider = () => createOpenAIv2({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1` });

    it('measures generateText and streamText', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi', usage });
      const model = v5.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware });
      expect((await v5.generateText({ model, prompt: 'Hello' })).text).toBe('Hi');
      await expectOneCall(registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: false });

      const second = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo'], usage });
      const streamed = v5.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware: second.middleware });
      expect(await v5.streamText({ model: streamed, prompt: 'Hello' }).text).toBe('Hello');
      await expectOneCall(second.registry, { labels: gpt4o, usage, cost: gpt4oCost, stream: true });
      expect([...reported, ...second.reported]).toEqual([]);
    });

    it('records a 500 as server_error and an aborted stream as aborted', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 500 });
      const model = v5.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware });
      await expect(v5.generateText({ model, prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      await expectOneFailure(registry, gpt4o, 'server_error');

      const second = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 200 });
      const controller = new AbortController();
      const aborted = v5.wrapLanguageModel({ model: provider().chat('gpt-4o'), middleware: second.middleware });
      const result = v5.streamText({
        model: aborted,
        prompt: 'Count',
        abortSignal: controller.signal,
        onError: () => {},
      });
      for await (const _ of result.textStream) controller.abort();
      await eventually(async () => value(await metricsText(second.registry), 'requests_in_flight') === 0);
      await expectOneFailure(second.registry, gpt4o, 'aborted');
    });
  });
});
