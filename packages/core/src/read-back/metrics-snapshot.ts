import type { Registry } from 'prom-client';
import { DEFAULT_PREFIX, type MetricKeyOfType, metricName } from '../metric-contract.js';
import type { HistogramBucket } from './histogram-quantile.js';
import { type SeriesLabels, seriesKey } from './series-labels.js';

/** One sample of a counter or gauge. */
export interface SeriesValue {
  labels: SeriesLabels;
  value: number;
}

/** One histogram series: its labels (without `le`) and its cumulative buckets in ascending `le` order. */
export interface HistogramValue {
  labels: SeriesLabels;
  buckets: HistogramBucket[];
}

/** The llmeter metrics of a registry at one moment, series by series. Fields are named by the contract's keys. */
export interface MetricsSnapshot {
  /** `requests_total`, labelled by `status`. */
  requests: SeriesValue[];
  /** `request_failures_total`, labelled by `error_type`. */
  failures: SeriesValue[];
  /** `tokens_total`, labelled by `type`. */
  tokens: SeriesValue[];
  cost: SeriesValue[];
  unpriced: SeriesValue[];
  estimated: SeriesValue[];
  inFlight: SeriesValue[];
  duration: HistogramValue[];
  timeToFirstToken: HistogramValue[];
}

/**
 * Reads the llmeter metrics (`prefix` + the contract's names) off a registry. Only those metrics are read, so
 * the app's own metrics on the same registry cost nothing here.
 *
 * @example
 * ```ts
 * import { readMetricsSnapshot } from '@llmeter/core';
 * import { register } from 'prom-client';
 * const { requests } = await readMetricsSnapshot(register);
 * ```
 */
export async function readMetricsSnapshot(registry: Registry, prefix = DEFAULT_PREFIX): Promise<MetricsSnapshot> {
  const values = (key: MetricKeyOfType<'counter' | 'gauge'>) => readValues(registry, metricName(key, prefix));
  const histogram = (key: MetricKeyOfType<'histogram'>) => readHistogram(registry, metricName(key, prefix));
  const [requests, failures, tokens, cost, unpriced, estimated, inFlight, duration, timeToFirstToken] =
    await Promise.all([
      values('requests'),
      values('failures'),
      values('tokens'),
      values('cost'),
      values('unpriced'),
      values('estimated'),
      values('inFlight'),
      histogram('duration'),
      histogram('timeToFirstToken'),
    ]);
  return { requests, failures, tokens, cost, unpriced, estimated, inFlight, duration, timeToFirstToken };
}

async function readValues(registry: Registry, name: string): Promise<SeriesValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  return values.map((sample) => ({ labels: stringLabels(sample.labels), value: sample.value }));
}

type RawLabels = Partial<Record<string, string | number>>;

// Thousands of series, some twenty samples each: this runs for every sample a dashboard sample reads, so it
// avoids a canonical key (sorted, serialized) per sample. All the buckets of one series come together and share
// their labels, so a sample is compared with the previous one, and a key made only when a series starts.
async function readHistogram(registry: Registry, name: string): Promise<HistogramValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  const bucketName = `${name}_bucket`;
  const byLabels = new Map<string, HistogramValue>();
  let series: HistogramValue | undefined;
  let previous: RawLabels | undefined;
  for (const sample of values) {
    if ((sample as { metricName?: string }).metricName !== bucketName) continue;
    const raw: RawLabels = sample.labels;
    const le = raw.le;
    if (le === undefined) continue;
    if (series === undefined || previous === undefined || !sameLabelsBut(previous, raw, 'le')) {
      const { le: _, ...rest } = stringLabels(raw);
      const key = seriesKey(rest);
      series = byLabels.get(key);
      if (!series) {
        series = { labels: rest, buckets: [] };
        byLabels.set(key, series);
      }
    }
    previous = raw;
    series.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: sample.value });
  }
  for (const one of byLabels.values()) one.buckets.sort((a, b) => a.le - b.le);
  return [...byLabels.values()];
}

/** Whether two label sets are equal, `skip` aside (names in the same order: labels of one metric). */
function sameLabelsBut(a: RawLabels, b: RawLabels, skip: string): boolean {
  let names = 0;
  for (const name in a) {
    if (name === skip) continue;
    if (a[name] !== b[name]) return false;
    names++;
  }
  for (const name in b) if (name !== skip) names--;
  return names === 0;
}

/** The labels with every value a string; the same object when they already are (counters' labels always are). */
function stringLabels(labels: RawLabels): SeriesLabels {
  let strings = true;
  for (const name in labels) {
    if (typeof labels[name] !== 'string') {
      strings = false;
      break;
    }
  }
  if (strings) return labels as SeriesLabels;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) if (value !== undefined) result[name] = String(value);
  return result;
}
