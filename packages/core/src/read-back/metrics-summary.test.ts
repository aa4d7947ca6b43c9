import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { recordTimedCall, usage } from '../../../../test/support/call-records.js';
import { createMeter, type Meter } from '../index.js';
import { readMetricsSnapshot } from './metrics-snapshot.js';
import { summarizeMetrics, summarizeSnapshot } from './metrics-summary.js';

// Published prices, USD per million tokens (OpenAI and Anthropic price pages).
const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const SONNET_4_5 = { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 };

function newMeter(): { registry: Registry; meter: Meter } {
  const registry = new Registry();
  return { registry, meter: createMeter({ registry, labelNames: ['team'] }) };
}

describe('summarizeMetrics', () => {
  it('sums requests, errors, tokens and exact cost per model, with p95 from the buckets', async () => {
    const { registry, meter } = newMeter();
    // gpt-4o: 10 calls of 0.3 s and 10 of 1.0 s, each 1000 input (400 cached) and 500 output tokens.
    for (let i = 0; i < 10; i++) {
      recordTimedCall(meter, { seconds: 0.3, usage: usage({ input: 1000, cachedInput: 400, output: 500 }) });
      recordTimedCall(meter, { seconds: 1.0, usage: usage({ input: 1000, cachedInput: 400, output: 500 }) });
    }
    // Two rate-limited gpt-4o calls: counted, no tokens, no cost.
    recordTimedCall(meter, { seconds: 0.05, errorType: 'rate_limit' });
    recordTimedCall(meter, { seconds: 0.05, errorType: 'rate_limit', labels: { team: 'search' } });
    // claude-sonnet-4-5: 4 streams with cache reads and writes, TTFT 0.3 s, duration 2 s.
    for (let i = 0; i < 4; i++) {
      recordTimedCall(meter, {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        seconds: 2,
        ttftSeconds: 0.3,
        labels: { team: 'search' },
        usage: usage({ input: 5000, cachedInput: 3000, cacheWrite: 1000, output: 200 }),
      });
    }
    // An unpriced model.
    recordTimedCall(meter, {
      provider: 'vllm',
      model: 'my-finetune',
      seconds: 0.5,
      usage: usage({ input: 10, output: 20 }),
    });

    const summary = await summarizeMetrics(registry);
    expect(summary.models.map((m) => `${m.provider}/${m.model}`)).toEqual([
      'openai/gpt-4o',
      'anthropic/claude-sonnet-4-5',
      'vllm/my-finetune',
    ]);
    const [gpt, claude, finetune] = summary.models;

    const gptCallUsd = (600 * GPT_4O.input + 400 * GPT_4O.cachedInput + 500 * GPT_4O.output) / 1e6;
    expect(gpt?.requests).toBe(22);
    expect(gpt?.errors).toBe(2);
    expect(gpt?.errorRatio).toBeCloseTo(2 / 22, 12);
    expect(gpt?.tokens).toEqual({ input: 20_000, output: 10_000, cachedInput: 8000, cacheWrite: 0, reasoning: 0 });
    expect(gpt?.costUsd).toBeCloseTo(20 * gptCallUsd, 12);
    // 22 observations: 2 in (0.04, 0.08], 10 in (0.16, 0.32], 10 in (0.64, 1.28]. p95 rank 20.9 is in
    // (0.64, 1.28], which holds observations 13 to 22: 0.64 + 0.64 × (20.9 − 12)/10.
    expect(gpt?.latency.p95).toBeCloseTo(0.64 + 0.64 * (8.9 / 10), 12);
    // p50 rank 11 is in (0.16, 0.32], holding observations 3 to 12: 0.16 + 0.16 × (11 − 2)/10.
    expect(gpt?.latency.p50).toBeCloseTo(0.16 + 0.16 * (9 / 10), 12);
    expect(gpt?.timeToFirstToken.p95).toBeNaN();

    const claudeCallUsd =
      (1000 * SONNET_4_5.input + 3000 * SONNET_4_5.cacheRead + 1000 * SONNET_4_5.cacheWrite + 200 * SONNET_4_5.output) /
      1e6;
    expect(claude?.requests).toBe(4);
    expect(claude?.costUsd).toBeCloseTo(4 * claudeCallUsd, 12);
    // All four TTFTs in (0.25, 0.5]: p95 rank 3.8 → 0.25 + 0.25 × 3.8/4.
    expect(claude?.timeToFirstToken.p95).toBeCloseTo(0.25 + 0.25 * (3.8 / 4), 12);
    // All four durations in (1.28, 2.56]: 1.28 + 1.28 × 3.8/4.
    expect(claude?.latency.p95).toBeCloseTo(1.28 + 1.28 * (3.8 / 4), 12);

    expect(finetune?.costUsd).toBe(0);
    expect(finetune?.unpricedRequests).toBe(1);

    expect(summary.total.requests).toBe(27);
    expect(summary.total.errors).toBe(2);
    expect(summary.total.costUsd).toBeCloseTo(20 * gptCallUsd + 4 * claudeCallUsd, 12);
    expect(summary.total.tokens.input).toBe(20_000 + 20_000 + 10);
    expect(summary.providers).toEqual(['anthropic', 'openai', 'vllm']);
    expect(summary.labelValues).toEqual({ team: ['search'] });
  });

  it('filters by provider, model and user label', async () => {
    const { registry, meter } = newMeter();
    recordTimedCall(meter, { seconds: 0.3, labels: { team: 'a' }, usage: usage({ input: 1000, output: 100 }) });
    recordTimedCall(meter, { seconds: 0.3, labels: { team: 'b' }, usage: usage({ input: 2000, output: 100 }) });
    recordTimedCall(meter, { provider: 'anthropic', model: 'claude-sonnet-4-5', seconds: 1, labels: { team: 'a' } });
    const snapshot = await readMetricsSnapshot(registry);

    const teamA = summarizeSnapshot(snapshot, { labels: { team: 'a' } });
    expect(teamA.total.requests).toBe(2);
    expect(teamA.total.tokens.input).toBe(1000);
    expect(teamA.total.costUsd).toBeCloseTo((1000 * GPT_4O.input + 100 * GPT_4O.output) / 1e6, 12);
    expect(summarizeSnapshot(snapshot, { provider: 'anthropic' }).models.map((m) => m.model)).toEqual([
      'claude-sonnet-4-5',
    ]);
    expect(summarizeSnapshot(snapshot, { model: 'gpt-4o', labels: { team: 'b' } }).total.tokens.input).toBe(2000);
    expect(summarizeSnapshot(snapshot, { model: 'nope' }).models).toEqual([]);
    // Filter choices ignore the filter.
    expect(summarizeSnapshot(snapshot, { model: 'nope' }).labelValues).toEqual({ team: ['a', 'b'] });
  });

  it('is empty for a registry without llmeter metrics', async () => {
    const summary = await summarizeMetrics(new Registry());
    expect(summary.models).toEqual([]);
    expect(summary.total.requests).toBe(0);
    expect(summary.total.latency.p95).toBeNaN();
  });
});
