import { Histogram, type Registry } from 'prom-client';
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
  const live = liveHistogram(metric);
  if (live) return live;
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

/** A histogram series as prom-client keeps it: per-bucket (not cumulative) counts keyed by upper bound. */
interface HistogramEntry {
  labels: RawLabels;
  bucketValues: Readonly<Record<string, number>>;
  count: number;
}

const histogramGet = (Histogram.prototype as { get?: unknown }).get;

/**
 * Each histogram series as last read, by prom-client's object of it: an observation changes its count, and a
 * reset replaces the object. Values handed out are never changed afterwards.
 */
const readSeries = new WeakMap<object, { count: number; value: HistogramValue }>();

/**
 * A plain prom-client histogram's series read from the state its `get()` reads (`hashMap`, `upperBounds`), without
 * the object per bucket and label set `get()` builds: a dashboard sample reads thousands of series. Undefined
 * for anything else (another class's `get()`, a `collect` hook, internals that differ), read through `get()`.
 */
function liveHistogram(metric: object): HistogramValue[] | undefined {
  if (!(metric instanceof Histogram) || (metric as { get?: unknown }).get !== histogramGet) return undefined;
  const { hashMap, upperBounds, collect } = metric as unknown as {
    hashMap?: Record<string, HistogramEntry>;
    upperBounds?: readonly number[];
    collect?: unknown;
  };
  if (collect !== undefined || hashMap === undefined || !Array.isArray(upperBounds)) return undefined;
  // Buckets out of order are read as `get()` gives them, then sorted, as before.
  if (upperBounds.some((le, i) => i > 0 && !(le > (upperBounds[i - 1] as number)))) return undefined;
  const result: HistogramValue[] = [];
  for (const key in hashMap) {
    const entry = hashMap[key] as HistogramEntry;
    // A series no call observed since the last read is read as it was: the same (never changed) value.
    const known = readSeries.get(entry);
    if (known !== undefined && known.count === entry.count) {
      result.push(known.value);
      continue;
    }
    const buckets: HistogramBucket[] = [];
    let count = 0;
    for (const le of upperBounds) {
      count += entry.bucketValues[le] ?? 0;
      buckets.push({ le, count });
    }
    buckets.push({ le: Number.POSITIVE_INFINITY, count: entry.count });
    const value = { labels: stringLabels(entry.labels), buckets };
    readSeries.set(entry, { count: entry.count, value });
    result.push(value);
  }
  return result;
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
