import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMeter } from './meter.js';
import { DEFAULT_BUCKETS, METRICS } from './metric-contract.js';
import type { CallRecord } from './record.js';
import { HISTOGRAM_SLOT } from './series.js';

// Durations in ms from the start, chosen to land on bucket bounds exactly, between them, at 0 and past the last.
const DURATIONS_MS = [0, 10, 15, 80, 160, 1280, 2000, 10_240, 81_920, 90_000, 600_000];
const MODELS = ['gpt-4o', 'gpt-5', 'o3'];

function call(model: string, endedAt: number, failed: boolean): CallRecord {
  return {
    provider: 'openai',
    operation: 'chat',
    model,
    stream: false,
    startedAt: 0,
    endedAt,
    usageSource: 'none',
    errorType: failed ? 'rate_limit' : undefined,
    labels: { team: 'search' },
  };
}

/** The duration histogram as prom-client records it when each call is observed through its own `observe`. */
function reference(): { histogram: Histogram; registry: Registry } {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'llm_request_duration_seconds',
    help: METRICS.duration.help,
    labelNames: ['provider', 'model', 'operation', 'status', 'team'],
    buckets: [...DEFAULT_BUCKETS.duration],
    registers: [registry],
  });
  return { histogram, registry };
}

function observeBoth(meter: ReturnType<typeof createMeter>, histogram: Histogram, round: number): void {
  DURATIONS_MS.forEach((ms, index) => {
    const model = MODELS[(index + round) % MODELS.length] as string;
    const failed = (index + round) % 4 === 0;
    meter.record(call(model, ms, failed));
    const labels = { provider: 'openai', model, operation: 'chat', team: 'search', status: failed ? 'error' : 'ok' };
    histogram.observe(labels, ms / 1000);
  });
}

describe('histograms observed through the series', () => {
  it('hold what prom-client own observe would, through resets and removals', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'] });
    const duration = registry.getSingleMetric('llm_request_duration_seconds') as Histogram;
    const expected = reference();
    const text = async (from: Registry) => from.getSingleMetricAsString('llm_request_duration_seconds');

    for (let round = 0; round < 3; round++) observeBoth(meter, expected.histogram, round);
    expect(await text(registry)).toBe(await text(expected.registry));
    // Past the first observation a series observes into prom-client's entry directly, not through `observe`.
    const { series } = meter.seriesOf('openai', 'gpt-4o', 'chat', { team: 'search' });
    expect(series.histogramSlots[HISTOGRAM_SLOT.durationOk]?.entry.count).toBe(
      (await duration.get()).values.find(
        ({ metricName, labels }) =>
          metricName === 'llm_request_duration_seconds_count' && labels.model === 'gpt-4o' && labels.status === 'ok',
      )?.value,
    );

    registry.resetMetrics();
    expected.histogram.reset();
    expect(await text(registry)).toBe(await text(expected.registry));
    observeBoth(meter, expected.histogram, 3);
    expect(await text(registry)).toBe(await text(expected.registry));

    const removed = { provider: 'openai', model: 'gpt-5', operation: 'chat', team: 'search', status: 'ok' };
    duration.remove(removed);
    expected.histogram.remove(removed);
    observeBoth(meter, expected.histogram, 4);
    expect(await text(registry)).toBe(await text(expected.registry));

    duration.zero(removed);
    expected.histogram.zero(removed);
    observeBoth(meter, expected.histogram, 5);
    expect(await text(registry)).toBe(await text(expected.registry));
  });
});

describe('counters written at collect', () => {
  // Calls that bring new samples into series already written (a first failure, a new token type, a new label set)
  // and calls that only change values, in turn.
  const calls: CallRecord[] = [
    { ...call('gpt-4o', 300, false), usage: { input: 10, output: 2, cachedInput: 0, cacheWrite: 0, reasoning: 0 } },
    call('gpt-5', 300, false),
    { ...call('gpt-4o', 300, false), usage: { input: 10, output: 2, cachedInput: 4, cacheWrite: 0, reasoning: 1 } },
    call('gpt-4o', 300, true),
    { ...call('gpt-4o', 300, true), errorType: 'timeout' },
    call('gpt-5', 300, false),
    call('o3', 300, true),
    { ...call('gpt-4o', 300, false), usage: { input: 7, output: 3, cachedInput: 0, cacheWrite: 0, reasoning: 0 } },
  ];

  it('give after every scrape what one scrape at the end gives, and keep the samples of unchanged series', async () => {
    const scraped = new Registry();
    const scrapedMeter = createMeter({ registry: scraped, labelNames: ['team'] });
    const once = new Registry();
    const onceMeter = createMeter({ registry: once, labelNames: ['team'] });
    for (const [index, one] of calls.entries()) {
      scrapedMeter.record(one);
      onceMeter.record(one);
      const text = await scraped.metrics();
      if (index === calls.length - 1) expect(text).toBe(await once.metrics());
    }
    scrapedMeter.record(calls[0] as CallRecord);
    onceMeter.record(calls[0] as CallRecord);
    expect(await scraped.metrics()).toBe(await once.metrics());

    // A scrape after a call writes into the samples it wrote before (the same objects), and changes only the
    // values of the series that call changed.
    const tokens = scraped.getSingleMetric('llm_tokens_total') as unknown as {
      hashMap: Record<string, { value: number }>;
    };
    const gpt5 = { ...call('gpt-5', 300, false), usage: calls[0]?.usage };
    scrapedMeter.record(gpt5);
    await scraped.metrics();
    const before = Object.entries(tokens.hashMap).map(([key, sample]) => ({ key, sample, value: sample.value }));
    scrapedMeter.record(gpt5);
    await scraped.metrics();
    expect(before.every(({ key, sample }) => tokens.hashMap[key] === sample)).toBe(true);
    expect(Object.keys(tokens.hashMap)).toHaveLength(before.length);
    expect(
      before
        .filter(({ sample, value }) => sample.value !== value)
        .map(({ key, value, sample }) => [key, value, sample.value]),
    ).toEqual([
      ['model:gpt-5,operation:chat,provider:openai,team:search,type:input,', 10, 20],
      ['model:gpt-5,operation:chat,provider:openai,team:search,type:output,', 2, 4],
    ]);
    onceMeter.record(gpt5);
    onceMeter.record(gpt5);
    expect(await scraped.metrics()).toBe(await once.metrics());

    scraped.resetMetrics();
    once.resetMetrics();
    expect(await scraped.metrics()).toBe(await once.metrics());
    for (const one of calls) {
      scrapedMeter.record(one);
      onceMeter.record(one);
      await scraped.metrics();
    }
    expect(await scraped.metrics()).toBe(await once.metrics());

    // The in-flight gauge, scraped as calls start and end, against one scraped only now.
    const inFlight = async (from: Registry) => from.getSingleMetricAsString('llm_requests_in_flight');
    const started = ['gpt-4o', 'gpt-6', 'gpt-6'].map((model) =>
      scrapedMeter.start({ ...call(model, 0, false), stream: true }),
    );
    const fresh = new Registry();
    const freshMeter = createMeter({ registry: fresh, labelNames: ['team'] });
    for (const one of [...calls, ...calls]) freshMeter.record(one);
    const freshCalls = ['gpt-4o', 'gpt-6', 'gpt-6'].map((model) =>
      freshMeter.start({ ...call(model, 0, false), stream: true }),
    );
    expect(await inFlight(scraped)).toBe(await inFlight(fresh));
    expect(await inFlight(scraped)).toContain(
      'llm_requests_in_flight{provider="openai",model="gpt-6",operation="chat",team="search"} 2',
    );
    for (const one of [...started, ...freshCalls]) one.end();
    expect(await inFlight(scraped)).toBe(await inFlight(fresh));
    expect(await inFlight(scraped)).not.toMatch(/ [1-9]/);
  });
});
