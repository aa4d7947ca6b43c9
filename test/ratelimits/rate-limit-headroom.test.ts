import Anthropic from '@anthropic-ai/sdk';
import { instrument } from '@llmeter/sdk';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyHarness, settled, startHarness } from '../proxy/proxy-harness.js';
import { findSamples, sampleSum } from '../support/prometheus-text.js';

// The simulator's default per-minute windows (DEFAULT_RATE_LIMITS), and its default usage per reply: 10 in, 5 out.
const OPENAI = { requests: 10_000, tokens: 30_000_000 };
const ANTHROPIC = { requests: 4_000, tokens: 2_400_000, input_tokens: 2_000_000, output_tokens: 400_000 };
const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hi' }] };
const message = { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi' }] };

/** Every `llm_ratelimit_<name>` sample of a provider and model, as resource → value. */
function gauges(text: string, name: string, provider: string, model: string): Record<string, number> {
  return Object.fromEntries(
    findSamples(text, `llm_ratelimit_${name}`, { provider, model }).map((s) => [s.labels.resource, s.value]),
  );
}

/** What both front ends must show after three OpenAI calls and two Anthropic calls against a fresh simulator. */
function expectHeadroom(text: string): void {
  expect(gauges(text, 'limit', 'openai', 'gpt-4o')).toEqual(OPENAI);
  expect(gauges(text, 'remaining', 'openai', 'gpt-4o')).toEqual({ requests: 9_997, tokens: 30_000_000 - 3 * 15 });
  expect(gauges(text, 'limit', 'anthropic', 'claude-sonnet-4-6')).toEqual(ANTHROPIC);
  expect(gauges(text, 'remaining', 'anthropic', 'claude-sonnet-4-6')).toEqual({
    requests: 3_998,
    tokens: 2_400_000 - 2 * 15,
    input_tokens: 2_000_000 - 2 * 10,
    output_tokens: 400_000 - 2 * 5,
  });
  // Resets: within the minute window, from OpenAI's Go durations and Anthropic's RFC 3339 instants.
  for (const [provider, model, resources] of [
    ['openai', 'gpt-4o', ['requests', 'tokens']],
    ['anthropic', 'claude-sonnet-4-6', ['requests', 'tokens', 'input_tokens', 'output_tokens']],
  ] as const) {
    const resets = gauges(text, 'reset_seconds', provider, model);
    expect(Object.keys(resets).sort()).toEqual([...resources].sort());
    for (const seconds of Object.values(resets)) {
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(61);
    }
  }
  // Rate limits carry no operation and no user labels.
  for (const sample of findSamples(text, 'llm_ratelimit_remaining')) {
    expect(Object.keys(sample.labels).sort()).toEqual(['model', 'provider', 'resource']);
  }
}

describe('rate-limit headroom through the proxy', () => {
  let harness: ProxyHarness;
  afterEach(async () => harness.close());

  it('exports the limits, what is left and the resets of the latest response, per provider, model and resource', async () => {
    harness = await startHarness({ labelHeaders: ['team'] });
    const openai = harness.openai();
    await openai.chat.completions.create(chat);
    await openai.chat.completions.create(chat);
    const stream = await openai.chat.completions.create({ ...chat, stream: true });
    for await (const _ of stream) {
      // drained
    }
    const anthropic = harness.anthropic();
    await anthropic.messages.create(message);
    await anthropic.messages.create(message);
    await settled(harness);
    expectHeadroom(await harness.metrics());
  });

  it('reads a 429 too: its limits, and nothing drawn from them', async () => {
    harness = await startHarness();
    const openai = harness.openai();
    await openai.chat.completions.create(chat);
    harness.simulator.enqueue({ status: 429 });
    await expect(openai.chat.completions.create(chat)).rejects.toMatchObject({ status: 429 });
    await settled(harness);
    const text = await harness.metrics();
    expect(gauges(text, 'remaining', 'openai', 'gpt-4o')).toEqual({ requests: 9_999, tokens: 30_000_000 - 15 });
    expect(sampleSum(text, 'llm_requests_total', { status: 'error' })).toBe(1);
  });
});

describe('rate-limit headroom through the SDK', () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => simulator.close());

  it('reads the same headers off the responses the SDKs received', async () => {
    const registry = new Registry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${simulator.url}/v1`, maxRetries: 0 }), {
      registry,
      // A base URL of its own names the provider by host; this one stands in for OpenAI.
      provider: 'openai',
    });
    const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: simulator.url, maxRetries: 0 }), {
      registry,
    });
    await openai.chat.completions.create(chat);
    // Awaited with its raw response as well: the same call, counted once.
    await openai.chat.completions.create(chat).withResponse();
    const stream = await openai.chat.completions.create({ ...chat, stream: true });
    for await (const _ of stream) {
      // drained
    }
    await anthropic.messages.create(message);
    await anthropic.messages.create(message);
    expectHeadroom(await registry.metrics());
  });

  it('reads the headers of a failed call from its APIError', async () => {
    const registry = new Registry();
    const sim = await startSimulator({
      rateLimits: { openai: { requests: 3, tokens: 40, inputTokens: 40, outputTokens: 40 } },
    });
    try {
      const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 }), {
        registry,
        provider: 'openai',
      });
      await openai.chat.completions.create(chat);
      await openai.chat.completions.create(chat);
      sim.enqueue({ status: 429 });
      await expect(openai.chat.completions.create(chat)).rejects.toMatchObject({ status: 429 });
      const text = await registry.metrics();
      expect(gauges(text, 'limit', 'openai', 'gpt-4o')).toEqual({ requests: 3, tokens: 40 });
      expect(gauges(text, 'remaining', 'openai', 'gpt-4o')).toEqual({ requests: 1, tokens: 10 });
    } finally {
      await sim.close();
    }
  });
});
