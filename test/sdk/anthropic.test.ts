import Anthropic from '@anthropic-ai/sdk';
import { instrument } from '@llmeter/sdk';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, usd, useSimulator, value } from './harness.js';

// claude-sonnet-4-6, USD per million tokens, from Anthropic's published prices.
const SONNET = { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 };
const model = 'claude-sonnet-4-6';
const labels = { provider: 'anthropic', model, operation: 'chat' };
const params = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };
// 1000 prompt tokens: 600 read from cache, 200 written to it, 200 plain.
const usage = { input: 1000, output: 50, cachedInput: 600, cacheWrite: 200 };
const expectedCost =
  usd(200, SONNET.input) + usd(600, SONNET.cacheRead) + usd(200, SONNET.cacheWrite) + usd(50, SONNET.output);

describe('@anthropic-ai/sdk messages', () => {
  const env = useSimulator();
  const measured = () => {
    const registry = newRegistry();
    const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: env.sim.url, maxRetries: 0 }), {
      registry,
    });
    return { registry, anthropic };
  };

  async function expectCacheUsage(registry: { metrics(): Promise<string> }, calls: number, stream: boolean) {
    const text = await metricsText(registry as never);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(calls);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(1000 * calls);
    expect(value(text, 'tokens_total', { ...labels, type: 'cached_input' })).toBe(600 * calls);
    expect(value(text, 'tokens_total', { ...labels, type: 'cache_write' })).toBe(200 * calls);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(50 * calls);
    expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(expectedCost * calls, 12);
    expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(stream ? calls : 0);
    expect(value(text, 'usage_estimated_total')).toBe(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
  }

  it('measures a JSON message with cache tokens', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ usage });
    const message = await anthropic.messages.create(params);
    expect(message.usage.cache_read_input_tokens).toBe(600);
    await expectCacheUsage(registry, 1, false);
  });

  it('measures create({ stream: true }) with cache tokens', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ usage });
    const types: string[] = [];
    for await (const event of await anthropic.messages.create({ ...params, stream: true })) types.push(event.type);
    expect(types.at(-1)).toBe('message_stop');
    await expectCacheUsage(registry, 1, true);
  });

  it('measures messages.stream() once', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ usage });
    const message = await anthropic.messages.stream(params).finalMessage();
    expect(message.content[0]?.type).toBe('text');
    await expectCacheUsage(registry, 1, true);
  });

  it('counts an overloaded (529) error and hands the caller the SDK error', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ status: 529 });
    const error = await anthropic.messages.create(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as { status: number }).status).toBe(529);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { ...labels, error_type: 'overloaded' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records an error event mid-stream as stream_error', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ usage, errorEventAfterChunks: 1 });
    const error = await (async () => {
      for await (const _ of await anthropic.messages.create({ ...params, stream: true })) {
        // read on
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { error_type: 'stream_error' })).toBe(1);
    // message_start reported the input; the output so far is 1 chunk's worth.
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(1000);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records messages.stream().abort() as aborted', async () => {
    const { registry, anthropic } = measured();
    env.sim.enqueue({ usage, chunkDelayMs: 20 });
    const stream = anthropic.messages.stream(params);
    stream.on('text', () => stream.abort());
    await stream.done().catch(() => undefined);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });
});
