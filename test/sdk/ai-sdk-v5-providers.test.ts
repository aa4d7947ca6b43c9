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

describe('llmeterMiddleware with ai 5 and the providers of its generation', () => {
  const env = useSimulator();
  const setup = () => {
    const registry = newRegistry();
    const reported: unknown[] = [];
    const middleware = llmeterMiddleware({ registry, onError: (error) => reported.push(error) });
    return { registry, reported, middleware };
  };

  describe('@ai-sdk/anthropic 2', () => {
    const anthropic = () => createAnthropic({ apiKey: 'sk-ant-test', baseURL: `${env.sim.url}/v1` });
    const model = (middleware: ReturnType<typeof setup>['middleware']) =>
      v5.wrapLanguageModel({ model: anthropic()('claude-sonnet-4-5'), middleware });

    it('measures generateText: cache reads and writes, cost, once, no time to first token', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi there', usage: anthropicUsage });
      const result = await v5.generateText({ model: model(middleware), prompt: 'Hello' });
      expect(result.text).toBe('Hi there');
      expect(env.sim.requests.map((request) => request.path)).toEqual(['/v1/messages']);
      await expectOneCall(registry, { labels: sonnet, usage: anthropicUsage, cost: sonnetCost, stream: false });
      expect(reported).toEqual([]);
    });

    it('measures streamText: tokens, cost, time to first token at the first text', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo', '!'], usage: anthropicUsage, firstChunkDelayMs: 30 });
      let text = '';
      for await (const delta of v5.streamText({ model: model(middleware), prompt: 'Hello' }).textStream) text += delta;
      expect(text).toBe('Hello!');
      await expectOneCall(registry, { labels: sonnet, usage: anthropicUsage, cost: sonnetCost, stream: true });
      expect(value(await metricsText(registry), 'time_to_first_token_seconds_sum', sonnet)).toBeGreaterThanOrEqual(
        0.025,
      );
      expect(reported).toEqual([]);
    });

    it('records a stream the caller abandons (abortSignal) as aborted, once', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three', ' four'], usage: anthropicUsage, chunkDelayMs: 200 });
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
      await expectOneAbort(registry, sonnet);
      expect(reported).toEqual([]);
    });

    it('records a 429 as rate_limit, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 429 });
      await expect(v5.generateText({ model: model(middleware), prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      const text = await metricsText(registry);
      expect(series(text, 'request_failures_total')).toEqual([{ ...sonnet, error_type: 'rate_limit' }]);
      expect(value(text, 'requests_total')).toBe(1);
    });
  });

  describe('@ai-sdk/google 2', () => {
    const google = () => createGoogleGenerativeAI({ apiKey: 'AIza-test', baseURL: `${env.sim.url}/v1beta` });
    const model = (middleware: ReturnType<typeof setup>['middleware']) =>
      v5.wrapLanguageModel({ model: google()('gemini-2.5-flash'), middleware });

    it('measures generateText: cached input, thoughts as reasoning, cost, once', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ text: 'Hi there', usage: geminiUsage });
      const result = await v5.generateText({ model: model(middleware), prompt: 'Hello' });
      expect(result.text).toBe('Hi there');
      expect(env.sim.requests.map((request) => request.path)).toEqual([
        '/v1beta/models/gemini-2.5-flash:generateContent',
      ]);
      await expectOneCall(registry, { labels: flash, usage: geminiUsage, cost: flashCost, stream: false });
      expect(reported).toEqual([]);
    });

    it('measures streamText: tokens, cost, time to first token at the first text', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['Hel', 'lo', '!'], usage: geminiUsage, firstChunkDelayMs: 30 });
      const result = v5.streamText({ model: model(middleware), prompt: 'Hello' });
      expect(await result.text).toBe('Hello!');
      expect(env.sim.requests[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
      await expectOneCall(registry, { labels: flash, usage: geminiUsage, cost: flashCost, stream: true });
      expect(value(await metricsText(registry), 'time_to_first_token_seconds_sum', flash)).toBeGreaterThanOrEqual(
        0.025,
      );
      expect(reported).toEqual([]);
    });

    it('records a stream the caller abandons (abortSignal) as aborted, once', async () => {
      const { registry, reported, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three', ' four'], usage: geminiUsage, chunkDelayMs: 200 });
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
      await expectOneAbort(registry, flash);
      expect(reported).toEqual([]);
    });

    it('records a model stream the caller cancels (doStream called directly) as aborted, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: geminiUsage, chunkDelayMs: 50 });
      const { stream } = await model(middleware).doStream({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'Count' }] }],
      });
      const reader = stream.getReader();
      let part = await reader.read();
      while (!part.done && part.value.type !== 'text-delta') part = await reader.read();
      await reader.cancel();
      await expectOneAbort(registry, flash);
    });

    it('records a 500 as server_error, once', async () => {
      const { registry, middleware } = setup();
      env.sim.enqueue({ status: 500 });
      await expect(v5.generateText({ model: model(middleware), prompt: 'Hello', maxRetries: 0 })).rejects.toThrow();
      const text = await metricsText(registry);
      expect(series(text, 'request_failures_total')).toEqual([{ ...flash, error_type: 'server_error' }]);
      expect(value(text, 'requests_total')).toBe(1);
    });
  });
});
