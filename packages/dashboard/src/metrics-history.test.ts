import { type CallRecord, createMeter, type Meter, type Usage } from '@llmeter/core';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChartSeries, MetricsHistory } from './metrics-history.js';

// Published price of gpt-4o, USD per million tokens.
const GPT_4O = { input: 2.5, output: 10 };
const T0 = 1_700_000_000_000;

function usage(input: number, output: number): Usage {
  return { input, output, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}

function call(meter: Meter, fields: Partial<CallRecord> & { seconds?: number } = {}): void {
  const { seconds = 0.3, ...rest } = fields;
  meter.record({
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    stream: false,
    startedAt: 0,
    endedAt: seconds * 1000,
    usageSource: rest.usage ? 'reported' : 'none',
    ...rest,
  });
}

function setup(options: ConstructorParameters<typeof MetricsHistory>[1] = {}) {
  const registry = new Registry();
  const meter = createMeter({ registry, labelNames: ['team'] });
  const history = new MetricsHistory(registry, { intervalMs: 1000, ...options });
  return { registry, meter, history };
}

function line(series: readonly ChartSeries[], name: string): (number | null)[] {
  const found = series.find((s) => s.name === name);
  if (!found) throw new Error(`no line ${name} in ${series.map((s) => s.name).join(', ')}`);
  return found.values;
}

let running: MetricsHistory | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('MetricsHistory', () => {
  it('records increases per sample: rates, cumulative spend, error ratio, in flight', async () => {
    const { meter, history } = setup();
    call(meter, { usage: usage(1000, 1000) }); // before the history: part of the baseline, not an increase
    await history.sample(T0);
    for (let i = 0; i < 4; i++) call(meter, { usage: usage(1000, 500) });
    call(meter, { errorType: 'rate_limit' });
    const pending = meter.start({ provider: 'openai', operation: 'chat', model: 'gpt-4o', stream: false });
    await history.sample(T0 + 1000);
    call(meter, { usage: usage(1000, 500) });
    pending.end({ usage: usage(1000, 500) });
    await history.sample(T0 + 3000); // two seconds later: rates divide by the time since the last sample

    const view = history.query();
    const callUsd = (1000 * GPT_4O.input + 500 * GPT_4O.output) / 1e6;
    expect(view.timestamps).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 3]);
    expect(line(view.requestsPerSecond, 'total')).toEqual([0, 5, 1]);
    expect(line(view.requestsPerSecond, 'gpt-4o')).toEqual([0, 5, 1]);
    expect(line(view.spend, 'total')).toEqual([0, 4 * callUsd, 6 * callUsd].map((v) => Number(v.toPrecision(6))));
    expect(line(view.tokensPerSecond, 'input')).toEqual([0, 4000, 1000]);
    expect(line(view.tokensPerSecond, 'output')).toEqual([0, 2000, 500]);
    // Rolling 60 s window: 1 failure of 5 calls, then of 7.
    expect(line(view.errorRatio, 'rate_limit')).toEqual([null, 0.2, Number((1 / 7).toPrecision(6))]);
    expect(line(view.inFlight, 'in flight')).toEqual([0, 1, 0]);
    // Four 0.3 s calls and a 0.3 s failure: all in (0.16, 0.32]; p50 rank 2.5 of 5 → 0.16 + 0.16 × 2.5/5.
    expect(line(view.latency, 'p50')[1]).toBeCloseTo(0.24, 6);
    expect(line(view.latency, 'p50')[0]).toBeNull();
  });

  it('keeps at most retentionMs / intervalMs samples, and no more ring buffers as it goes on', async () => {
    const { meter, history } = setup({ retentionMs: 5000 });
    expect(history.capacity).toBe(5);
    for (let i = 0; i < 12; i++) {
      call(meter, { usage: usage(10 * (i + 1), 1) });
      await history.sample(T0 + i * 1000);
      if (i === 5) expect(history.ringCount).toBeGreaterThan(0);
    }
    const rings = history.ringCount;
    for (let i = 12; i < 20; i++) {
      call(meter, { usage: usage(10 * (i + 1), 1) });
      await history.sample(T0 + i * 1000);
    }
    expect(history.size).toBe(5);
    expect(history.ringCount).toBe(rings);
    const view = history.query();
    expect(view.timestamps).toEqual([15, 16, 17, 18, 19].map((i) => (T0 + i * 1000) / 1000));
    // The oldest samples were overwritten: the newest five increases remain, in order.
    expect(line(view.tokensPerSecond, 'input')).toEqual([160, 170, 180, 190, 200]);
  });

  it('filters by provider, model and user label', async () => {
    const { meter, history } = setup();
    await history.sample(T0);
    call(meter, { labels: { team: 'a' }, usage: usage(100, 0) });
    call(meter, { labels: { team: 'b' }, usage: usage(200, 0) });
    call(meter, { provider: 'anthropic', model: 'claude-haiku-4-5', labels: { team: 'a' }, usage: usage(400, 0) });
    await history.sample(T0 + 1000);
    const input = (filter: Parameters<MetricsHistory['query']>[0]) =>
      line(history.query(filter).tokensPerSecond, 'input')[1];
    expect(input({})).toBe(700);
    expect(input({ filter: { labels: { team: 'a' } } })).toBe(500);
    expect(input({ filter: { provider: 'openai' } })).toBe(300);
    expect(input({ filter: { model: 'gpt-4o', labels: { team: 'b' } } })).toBe(200);
    expect(history.query({ filter: { model: 'none' } }).tokensPerSecond).toEqual([]);
  });

  it('stays cheap with 200 models: top-N lines plus other and total, groups capped', async () => {
    const { meter, history } = setup({ maxGroups: 150 });
    await history.sample(T0);
    call(meter, { model: 'gpt-4o', usage: usage(1_000_000, 0) });
    for (let m = 0; m < 200; m++) {
      call(meter, { provider: 'vllm', model: `model-${String(m).padStart(3, '0')}`, usage: usage(m + 1, 1) });
    }
    await history.sample(T0 + 1000);
    // gpt-4o and model-000 to model-148 have groups of their own; the last 51 models share the overflow group.
    expect(history.groupCount).toBe(151);
    const view = history.query({ topN: 5 });
    // Ranked by spend (gpt-4o), then by calls, then by name; the overflow group is never a line of its own.
    expect(view.spend.map((s) => s.name)).toEqual([
      'gpt-4o',
      'model-000',
      'model-001',
      'model-002',
      'model-003',
      'other',
      'total',
    ]);
    expect(line(view.spend, 'total')[1]).toBe(2.5);
    expect(line(view.requestsPerSecond, 'total')[1]).toBe(201);
    expect(view.requestsPerSecond).toHaveLength(7);
    expect(line(view.unpricedPerSecond, 'model-000')[1]).toBe(1);
    expect(view.unpricedPerSecond).toHaveLength(5);
  });

  it('samples on its own every intervalMs once started, the first sample a baseline', async () => {
    const { meter, history } = setup({ intervalMs: 50 });
    running = history;
    call(meter, { usage: usage(5, 5) });
    history.start();
    const deadline = Date.now() + 2000;
    while (history.size < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(history.size).toBeGreaterThanOrEqual(3);
    expect(line(history.query().requestsPerSecond, 'total').every((v) => v === 0)).toBe(true);
    await history.stop();
    const size = history.size;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(history.size).toBe(size);
  });

  it('does not read a registry the meter left unchanged, and records the same samples as reading would', async () => {
    const { registry, meter, history } = setup();
    await history.sample(T0);
    call(meter, { usage: usage(1000, 500) });
    const pending = meter.start({ provider: 'openai', operation: 'chat', model: 'gpt-4o', stream: false });
    await history.sample(T0 + 1000);
    expect(history.reads).toBe(2);
    // Idle: nothing recorded, one call still in flight. Reading the metrics (a scrape) changes nothing either.
    await registry.metrics();
    await history.sample(T0 + 2000);
    await history.sample(T0 + 3000);
    expect(history.reads).toBe(2);
    pending.end({ usage: usage(1000, 500) });
    await history.sample(T0 + 4000);
    await history.sample(T0 + 5000);
    registry.resetMetrics();
    await history.sample(T0 + 6000);
    call(meter, { usage: usage(1000, 500) });
    await history.sample(T0 + 7000);
    expect(history.reads).toBe(5);
    expect(history.size).toBe(8);

    const view = history.query();
    expect(view.timestamps).toHaveLength(8);
    expect(line(view.requestsPerSecond, 'total')).toEqual([0, 1, 0, 0, 1, 0, 0, 1]);
    expect(line(view.tokensPerSecond, 'input')).toEqual([0, 1000, 0, 0, 1000, 0, 0, 1000]);
    expect(line(view.inFlight, 'in flight')).toEqual([0, 1, 1, 1, 0, 0, 0, 0]);
    // One 0.3 s call in (0.16, 0.32] over the rolling window: p50 0.16 + 0.16 × 0.5.
    expect(line(view.latency, 'p50').slice(0, 4)).toEqual([null, 0.24, 0.24, 0.24]);
  });

  it('reads every time a registry whose llmeter metrics no meter of this process records', async () => {
    const registry = new Registry();
    // Another exporter's counters with the contract's names, as a bridge from another process might register.
    const requests = new Counter({
      name: 'llm_requests_total',
      help: 'h',
      labelNames: ['provider', 'model', 'operation', 'status'],
      registers: [registry],
    });
    const history = new MetricsHistory(registry, { intervalMs: 1000 });
    const labels = { provider: 'openai', model: 'gpt-4o', operation: 'chat', status: 'ok' };
    requests.inc(labels, 3);
    await history.sample(T0);
    requests.inc(labels, 2);
    await history.sample(T0 + 1000);
    await history.sample(T0 + 2000);
    expect(history.reads).toBe(3);
    expect(line(history.query().requestsPerSecond, 'total')).toEqual([0, 2, 0]);
  });

  it('reads a snapshot for the totals only when the meter changed the metrics', async () => {
    const { registry, meter, history } = setup();
    call(meter, { usage: usage(1000, 500) });
    const first = await history.snapshot();
    expect(await history.snapshot()).toBe(first);
    call(meter, { usage: usage(1000, 500) });
    const second = await history.snapshot();
    expect(second).not.toBe(first);
    expect(second.requests.map((sample) => sample.value)).toEqual([2]);
    registry.resetMetrics();
    expect((await history.snapshot()).requests).toEqual([]);
    // Without a meter, every call reads.
    const foreign = new MetricsHistory(new Registry());
    expect(await foreign.snapshot()).not.toBe(await foreign.snapshot());
  });

  it('rejects an interval longer than the retention', () => {
    expect(() => new MetricsHistory(new Registry(), { intervalMs: 10_000, retentionMs: 5000 })).toThrow(RangeError);
  });
});
