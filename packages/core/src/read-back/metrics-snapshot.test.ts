import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMeter } from '../meter.js';
import type { HistogramValue } from './metrics-snapshot.js';
import { readMetricsSnapshot } from './metrics-snapshot.js';

/** A histogram's series as prom-client's `get()` gives them: the reference the live read must equal. */
async function viaGet(histogram: Histogram): Promise<HistogramValue[]> {
  const { values } = await histogram.get();
  const series = new Map<string, HistogramValue>();
  for (const { labels, value, metricName } of values as {
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }[]) {
    if (!metricName?.endsWith('_bucket')) continue;
    const { le, ...rest } = labels;
    const own = Object.fromEntries(Object.entries(rest).map(([name, text]) => [name, String(text)]));
    const key = JSON.stringify(own);
    let one = series.get(key);
    if (!one) {
      one = { labels: own, buckets: [] };
      series.set(key, one);
    }
    one.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: value });
  }
  return [...series.values()];
}

describe('readMetricsSnapshot', () => {
  it("reads histograms from prom-client's series as get() gives them, bucket for bucket", async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'] });
    for (let i = 0; i < 300; i++) {
      meter.record({
        provider: i % 3 === 0 ? 'anthropic' : 'openai',
        operation: 'chat',
        model: `model-${i % 17}`,
        labels: { team: `team-${i % 5}` },
        stream: true,
        startedAt: 0,
        firstTokenAt: (i % 11) * 90,
        endedAt: 100 + i * 37,
        ...(i % 7 === 0 ? { errorType: 'rate_limit' as const } : {}),
        usage: { input: 10, output: 5, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
        usageSource: 'reported',
      });
    }
    const snapshot = await readMetricsSnapshot(registry);
    const duration = registry.getSingleMetric('llm_request_duration_seconds') as Histogram;
    const ttft = registry.getSingleMetric('llm_time_to_first_token_seconds') as Histogram;
    expect(snapshot.duration).toEqual(await viaGet(duration));
    expect(snapshot.timeToFirstToken).toEqual(await viaGet(ttft));
    expect(snapshot.duration.length).toBeGreaterThan(40);
    // Cumulative, ascending, ending at +Inf with the series' count.
    const first = snapshot.duration[0];
    expect(first?.buckets.at(-1)?.le).toBe(Number.POSITIVE_INFINITY);
    expect(first?.buckets.map((bucket) => bucket.count)).toEqual(
      [...(first?.buckets ?? [])].map((bucket) => bucket.count).sort((a, b) => a - b),
    );
  });

  it('reads a series no call changed as the same value, and never changes a value it handed out', async () => {
    const registry = new Registry();
    const duration = new Histogram({
      name: 'llm_request_duration_seconds',
      help: 'h',
      labelNames: ['model'],
      buckets: [0.5, 1],
      registers: [registry],
    });
    duration.observe({ model: 'a' }, 0.2);
    duration.observe({ model: 'b' }, 0.7);
    const [a, b] = (await readMetricsSnapshot(registry)).duration;
    duration.observe({ model: 'b' }, 2);
    const [a2, b2] = (await readMetricsSnapshot(registry)).duration;
    expect(a2).toBe(a);
    expect(b2).not.toBe(b);
    expect(b?.buckets.map((bucket) => bucket.count)).toEqual([0, 1, 1]);
    expect(b2?.buckets.map((bucket) => bucket.count)).toEqual([0, 1, 2]);
    // A reset starts every series anew.
    duration.reset();
    duration.observe({ model: 'a' }, 0.2);
    const [a3] = (await readMetricsSnapshot(registry)).duration;
    expect(a3).not.toBe(a);
    expect(a3).toEqual(a);
  });

  it('reads a histogram with a collect hook or buckets out of order through get(), as before', async () => {
    const registry = new Registry();
    let hooked = 0;
    const duration = new Histogram({
      name: 'llm_request_duration_seconds',
      help: 'h',
      labelNames: ['model'],
      buckets: [1, 0.5, 2],
      registers: [registry],
      collect() {
        hooked += 1;
      },
    });
    duration.observe({ model: 'a' }, 0.7);
    duration.observe({ model: 'a' }, 0.2);
    const snapshot = await readMetricsSnapshot(registry);
    expect(hooked).toBe(1);
    // prom-client counts both in bucket 1, the first bound at or above each in its order; sorted after.
    expect(snapshot.duration).toEqual([
      {
        labels: { model: 'a' },
        buckets: [
          { le: 0.5, count: 2 },
          { le: 1, count: 2 },
          { le: 2, count: 2 },
          { le: Number.POSITIVE_INFINITY, count: 2 },
        ],
      },
    ]);
  });
});
