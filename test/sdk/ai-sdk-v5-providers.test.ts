import { llmeterMiddleware } from '@llmeter/sdk';
import type { SimulatedUsage } from '@llmeter/simulator';
import { createAnthropic } from 'ai-sdk-anthropic-v2';
import { createGoogleGenerativeAI } from 'ai-sdk-google-v2';
import * as v5 from 'ai-v5';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { eventually, metricsText, newRegistry, series, usd, useSimulator, value } from './harness.js';

// `ai` 5 (LanguageModelV2) with the providers of its generation: @ai-sdk/anthropic 2 and @ai-sdk/google 2.
// Per-million prices from @pydantic/genai-prices' bundled data, reasoning charged as output.
const SONNET = { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 };
const FLASH = { input: 0.3, cacheRead: 0.03, output: 2.5 };

// Anthropic: 1000 prompt tokens, 200 new, 600 read from the cache, 200 written to it; 50 output tokens.
const anthropicUsage: SimulatedUsage = { input: 1000, output: 50, cachedInput: 600, cacheWrite: 200 };
const sonnetCost =
  usd(200, SONNET.input) + usd(600, SONNET.cacheRead) + usd(200, SONNET.cacheWrite) + usd(50, SONNET.output);
// Gemini: 1000 prompt tokens, 600 of them cached; 500 output tokens, 300 of them thoughts (reasoning).
const geminiUsage: SimulatedUsage = { input: 1000, output: 500, cachedInput: 600, reasoning: 300 };
const flashCost = usd(400, FLASH.input) + usd(600, FLASH.cacheRead) + usd(500, FLASH.output);

const sonnet = { provider: 'anthropic', model: 'claude-sonnet-4-5', operation: 'chat' };
const flash = { provider: 'gemini', model: 'gemini-2.5-flash', operation: 'chat' };

interface Expected {
  labels: Record<string, string>;
  usage: SimulatedUsage;
  cost: number;
  stream: boolean;
}

async function expectOneCall(registry: Registry, expected: Expected): Promise<void> {
  const { labels, usage } = expected;
  const text = await metricsText(registry);
  expect(series(text, 'requests_total')).toEqual([{ ...labels, status: 'ok' }]);
  expect(value(text, 'requests_total')).toBe(1);
  expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(usage.input);
  expect(value(text, 'tokens_total', { ...labels, type: 'cached_input' })).toBe(usage.cachedInput ?? 0);
  expect(value(text, 'tokens_total', { ...labels, type: 'cache_write' })).toBe(usage.cacheWrite ?? 0);
  expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(usage.output);
  expect(value(text, 'tokens_total', { ...labels, type: 'reasoning' })).toBe(usage.reasoning ?? 0);
  expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(expected.cost, 15);
  expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(expected.stream ? 1 : 0);
  expect(value(text, 'request_duration_seconds_count', labels)).toBe(1);
  expect(value(text, 'usage_estimated_total')).toBe(0);
  expect(value(text, 'unpriced_requests_total')).toBe(0);
  expect(value(text, 'request_failures_total')).toBe(0);
  expect(value(text, 'requests_in_flight')).toBe(0);
}

async function expectOneAbort(registry: Registry, labels: Record<string, string>): Promise<void> {
  await eventually(async () => value(await metricsText(registry), 'requests_in_flight') === 0);
  const text = await metricsText(registry);
  expect(series(text, 'request_failures_total')).toEqual([{ ...labels, error_type: 'aborted' }]);
  expect(value(text, 'request_failures_total')).toBe(1);
  expect(value(text, 'requests_total')).toBe(1);
  expect(value(text, 'requests_total', { ...labels, status: 'error' })).toBe(1);
  // The first text arrived before the abort: time to first token, and the tokens seen so far, estimated.
  expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(1);
  expect(value(text, 'usage_estimated_total', labels)).toBe(1);
  expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBeGreaterThan(0);
}

type V5Model = Parameters<typeof v5.wrapLanguageModel>[0]['model'];

/** One provider of the `ai` 5 generation, and what the simulator and the metrics must show for it. */
interface ProviderCase {
  name: string;
  model: (simUrl: string) => V5Model;
  labels: Record<string, string>;
  usage: SimulatedUsage;
  cost: number;
  generateTitle: string;
  generatePath: string;
  streamPath: string;
  /** How the stream test reads the text: both ways of reading a v5 stream are covered, one per provider. */
  readStream: (result: ReturnType<typeof v5.streamText>) => Promise<string>;
  failure: { status: number; errorType: string };
}

async function concatTextStream(result: ReturnType<typeof v5.streamText>): Promise<string> {
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return text;
}

const providers: ProviderCase[] = [
  {
    name: '@ai-sdk/anthropic 2',
    model: (simUrl) => createAnthropic({ apiKey: 'sk-ant-test', baseURL: `${simUrl}/v1` })('claude-sonnet-4-5'),
    labels: sonnet,
    usage: anthropicUsage,
    cost: sonnetCost,
    generateTitle: 'measures generateText: cache reads and writes, cost, once, no time to first token',
    generatePath: '/v1/messages',
    streamPath: '/v1/messages',
    readStream: concatTextStream,
    failure: { status: 429, errorType: 'rate_limit' },
  },
  {
    name: '@ai-sdk/google 2',
    model: (simUrl) =>
      createGoogleGenerativeAI({ apiKey: 'AIza-test', baseURL: `${simUrl}/v1beta` })('gemini-2.5-flash'),
    labels: flash,
    usage: geminiUsage,
    cost: flashCost,
    generateTitle: 'measures generateText: cached input, thoughts as reasoning, cost, once',
    generatePath: '/v1beta/models/gemini-2.5-flash:generateContent',
    streamPath: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
    readStream: (result) => result.text,
    failure: { status: 500, errorType: 'server_error' },
  },
];

describe('llmeterMiddleware with ai 5 and the providers of its generation', () => {
  const env = useSimulator();
  const setup = () => {
    const registry = newRegistry();
    const reported: unknown[] = [];
    const middleware = llmeterMiddleware({ registry, onError: (error) => reported.push(error) });
    return { registry, reported, middleware };
  };

  describe.each(providers)('$name', (provider) => {
    const { labels, usage, cost } = provider;
    const model = (middleware: ReturnType<typeof setup>['middleware']) =>
      v5.wrapLanguageModel({ model: provider.model(env.sim.url), middleware });

    it(provider.generateTitle, async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi there', usage });
      const result = await v5.generateText({ model: model(middleware), prompt: 'Hello' });
      expect(result.text).toBe('Hi there');
      expect(env.sim.requests.map((request) => request.path)).toEqual([provider.generatePath]);
      await expectOneCall(registry, { labels, usage, cost, stream: false });
      expect(reported).toEqual([]);
    });

    it('measures streamText: tokens, cost, time to first token at the first text', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo', '!'], usage, firstChunkDelayMs: 30 });
      const result = v5.streamText({ model: model(middleware), prompt: 'Hello' });
      expect(await provider.readStream(result)).toBe('Hello!');
      expect(env.sim.requests.map((request) => request.path)).toEqual([provider.streamPath]);
      await expectOneCall(registry, { labels, usage, cost, stream: true });
      expect(value(await metricsText(registry), 'time_to_first_token_seconds_sum', labels)).toBeGreaterThanOrEqual(
        0.025,
      );
      expect(reported).toEqual([]);
    });

    it('records a stream the caller abandons (abortSignal) as aborted, once', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three', ' four'], usage, chunkDelayMs: 200 });
      const controller = new AbortController();
      const result = v5.streamText({
        model: model(middleware),
        prompt: 'Count',
        abortSignal: controller.signal,
        onError: () => {},
      });
      const seen: string[] = [];
      for await (const delta of result.textStream) {
        seen.push(delta);
        controller.abort();
      }
      expect(seen).toEqual(['one']);
      await expectOneAbort(registry, labels);
      expect(reported).toEqual([]);
    });

    it('records a model stream the caller cancels (doStream called directly) as aborted, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage, chunkDelayMs: 50 });
      const { stream } = await model(middleware).doStream({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'Count' }] }],
      });
      const reader = stream.getReader();
      let part = await reader.read();
      while (!part.done && part.value.type !== 'text-delta') part = await reader.read();
      await reader.cancel();
      await expectOneAbort(registry, labels);
    });

    const { status, errorType } = provider.failure;
    it(`records a ${status} as ${errorType}, once`, async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status });
      await expect(v5.generateText({ model: model(middleware), prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      const text = await metricsText(registry);
      expect(series(text, 'request_failures_total')).toEqual([{ ...labels, error_type: errorType }]);
      expect(value(text, 'requests_total')).toBe(1);
    });
  });
});
