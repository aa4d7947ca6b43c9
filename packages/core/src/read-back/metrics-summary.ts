import type { Registry } from 'prom-client';

/** Labels of one series, as prom-client reports them (numbers, such as `le`, turned into strings). */
export type SeriesLabels = Readonly<Record<string, string>>;

/** One sample of a counter or gauge. */
export interface SeriesValue {
  labels: SeriesLabels;
  value: number;
}

/** One cumulative histogram bucket: how many observations were at most `le` (the last one's `le` is Infinity). */
export interface HistogramBucket {
  le: number;
  count: number;
}

/** One histogram series: its labels (without `le`) and its cumulative buckets in ascending `le` order. */
export interface HistogramValue {
  labels: SeriesLabels;
  buckets: HistogramBucket[];
}

/** The llmeter metrics of a registry at one moment, series by series. */
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
 * Which series count: each given field must equal the series' label. `labels` are user labels (e.g. `team`).
 * An empty filter matches everything.
 */
export interface LabelFilter {
  provider?: string | undefined;
  model?: string | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
}

/** p50, p95 and p99 in seconds; NaN when nothing was observed. */
export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Token counts by the `type` label of `tokens_total`. */
export interface TokenCounts {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  reasoning: number;
}

/** Everything known about one model (one `provider` and `model` pair), since the registry's metrics began. */
export interface ModelSummary {
  provider: string;
  model: string;
  requests: number;
  errors: number;
  /** `errors / requests`; 0 when there were no requests. */
  errorRatio: number;
  /** Whole-call duration, estimated from the histogram buckets like PromQL's `histogram_quantile`. */
  latency: Quantiles;
  /** Time to first token of streams, estimated the same way. */
  timeToFirstToken: Quantiles;
  tokens: TokenCounts;
  costUsd: number;
  /** Calls whose model has no known price. */
  unpricedRequests: number;
  /** Calls whose tokens were counted locally. */
  estimatedRequests: number;
  /** Calls under way now. */
  inFlight: number;
}

/** A registry's llmeter metrics summed per model, and over everything. */
export interface MetricsSummary {
  /** Most expensive first, then most requested, then by name. */
  models: ModelSummary[];
  /** Every model together; its `provider` and `model` are empty. */
  total: ModelSummary;
  /** Distinct values seen, for building filters; ignores the summary's own filter. */
  providers: string[];
  /** User label name → the distinct non-empty values seen. */
  labelValues: Record<string, string[]>;
}

/** Labels of the metric contract that are not user labels. */
const CONTRACT_LABELS: ReadonlySet<string> = new Set([
  'provider',
  'model',
  'operation',
  'status',
  'error_type',
  'type',
]);

const TOKEN_FIELDS: Readonly<Record<string, keyof TokenCounts>> = {
  input: 'input',
  output: 'output',
  cached_input: 'cachedInput',
  cache_write: 'cacheWrite',
  reasoning: 'reasoning',
};

/**
 * The `q` quantile (0 ≤ q ≤ 1) of cumulative histogram buckets, computed exactly as PromQL's
 * `histogram_quantile`: find the bucket holding rank `q × count`, then interpolate linearly inside it (from 0
 * for the first bucket). A rank in the `+Inf` bucket gives the highest finite bound. NaN when there is no
 * observation or the last bucket is not `+Inf`.
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const last = buckets[buckets.length - 1];
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || buckets.length < 2) return Number.NaN;
  const observations = last.count;
  if (observations === 0) return Number.NaN;
  const rank = q * observations;
  let index = buckets.findIndex((bucket, i) => i < buckets.length - 1 && bucket.count >= rank);
  if (index === -1) index = buckets.length - 1;
  if (index === buckets.length - 1) return (buckets[buckets.length - 2] as HistogramBucket).le;
  const bucket = buckets[index] as HistogramBucket;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const previous = index > 0 ? buckets[index - 1] : undefined;
  const start = previous?.le ?? 0;
  const below = previous?.count ?? 0;
  const inBucket = bucket.count - below;
  if (inBucket === 0) return start;
  return start + (bucket.le - start) * ((rank - below) / inBucket);
}

/** p50, p95 and p99 of cumulative buckets. */
export function quantilesOf(buckets: readonly HistogramBucket[]): Quantiles {
  return {
    p50: histogramQuantile(0.5, buckets),
    p95: histogramQuantile(0.95, buckets),
    p99: histogramQuantile(0.99, buckets),
  };
}

/**
 * Reads the llmeter metrics (`prefix` + the contract's names) off a registry. Only those metrics are read, so
 * the app's own metrics on the same registry cost nothing here.
 */
export async function readMetricsSnapshot(registry: Registry, prefix = 'llm_'): Promise<MetricsSnapshot> {
  const [requests, failures, tokens, cost, unpriced, estimated, inFlight, duration, timeToFirstToken] =
    await Promise.all([
      readValues(registry, `${prefix}requests_total`),
      readValues(registry, `${prefix}request_failures_total`),
      readValues(registry, `${prefix}tokens_total`),
      readValues(registry, `${prefix}cost_usd_total`),
      readValues(registry, `${prefix}unpriced_requests_total`),
      readValues(registry, `${prefix}usage_estimated_total`),
      readValues(registry, `${prefix}requests_in_flight`),
      readHistogram(registry, `${prefix}request_duration_seconds`),
      readHistogram(registry, `${prefix}time_to_first_token_seconds`),
    ]);
  return { requests, failures, tokens, cost, unpriced, estimated, inFlight, duration, timeToFirstToken };
}

/** Whether a series' labels pass a filter. */
export function matchesFilter(labels: SeriesLabels, filter: LabelFilter): boolean {
  if (filter.provider !== undefined && labels.provider !== filter.provider) return false;
  if (filter.model !== undefined && labels.model !== filter.model) return false;
  for (const [name, value] of Object.entries(filter.labels ?? {})) if (labels[name] !== value) return false;
  return true;
}

/** The user labels of a series: every label that is not part of the metric contract. */
export function userLabels(labels: SeriesLabels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels))
    if (!CONTRACT_LABELS.has(name) && name !== 'le') result[name] = value;
  return result;
}

/** Sums a snapshot per model (and in total), over the series that pass `filter`. */
export function summarizeSnapshot(snapshot: MetricsSnapshot, filter: LabelFilter = {}): MetricsSummary {
  const models = new Map<string, ModelAccumulator>();
  const total = new ModelAccumulator('', '');
  const providers = new Set<string>();
  const labelValues = new Map<string, Set<string>>();

  const each = (series: readonly SeriesValue[], add: (acc: ModelAccumulator, sample: SeriesValue) => void) => {
    for (const sample of series) {
      const provider = sample.labels.provider ?? '';
      if (provider !== '') providers.add(provider);
      for (const [name, value] of Object.entries(userLabels(sample.labels))) {
        if (value === '') continue;
        let values = labelValues.get(name);
        if (!values) {
          values = new Set();
          labelValues.set(name, values);
        }
        values.add(value);
      }
      if (!matchesFilter(sample.labels, filter)) continue;
      add(accumulatorFor(models, sample.labels), sample);
      add(total, sample);
    }
  };
  each(snapshot.requests, (acc, { labels, value }) => {
    acc.requests += value;
    if (labels.status === 'error') acc.errors += value;
  });
  each(snapshot.tokens, (acc, { labels, value }) => {
    const field = TOKEN_FIELDS[labels.type ?? ''];
    if (field) acc.tokens[field] += value;
  });
  each(snapshot.cost, (acc, { value }) => {
    acc.costUsd += value;
  });
  each(snapshot.unpriced, (acc, { value }) => {
    acc.unpricedRequests += value;
  });
  each(snapshot.estimated, (acc, { value }) => {
    acc.estimatedRequests += value;
  });
  each(snapshot.inFlight, (acc, { value }) => {
    acc.inFlight += value;
  });
  for (const series of snapshot.duration) {
    if (!matchesFilter(series.labels, filter)) continue;
    accumulatorFor(models, series.labels).duration.add(series.buckets);
    total.duration.add(series.buckets);
  }
  for (const series of snapshot.timeToFirstToken) {
    if (!matchesFilter(series.labels, filter)) continue;
    accumulatorFor(models, series.labels).timeToFirstToken.add(series.buckets);
    total.timeToFirstToken.add(series.buckets);
  }

  const summaries = [...models.values()]
    // A model seen only on the in-flight gauge, with nothing under way and nothing finished, is noise.
    .filter((acc) => acc.requests > 0 || acc.inFlight > 0)
    .map((acc) => acc.summary())
    .sort(
      (a, b) =>
        b.costUsd - a.costUsd ||
        b.requests - a.requests ||
        a.model.localeCompare(b.model) ||
        a.provider.localeCompare(b.provider),
    );
  return {
    models: summaries,
    total: total.summary(),
    providers: [...providers].sort(),
    labelValues: Object.fromEntries([...labelValues].map(([name, values]) => [name, [...values].sort()])),
  };
}

/** {@link readMetricsSnapshot} then {@link summarizeSnapshot}. */
export async function summarizeMetrics(
  registry: Registry,
  options: { prefix?: string; filter?: LabelFilter } = {},
): Promise<MetricsSummary> {
  return summarizeSnapshot(await readMetricsSnapshot(registry, options.prefix), options.filter);
}

/** Sums cumulative histograms bucket by bucket (PromQL's `sum by (le)`); they must share their bounds. */
export class BucketSum {
  private bounds: number[] = [];
  private counts: number[] = [];

  /** Adds one histogram; one with other bounds than the first is ignored (a meter's buckets never change). */
  add(buckets: readonly HistogramBucket[]): void {
    if (this.bounds.length === 0) {
      this.bounds = buckets.map((bucket) => bucket.le);
      this.counts = buckets.map((bucket) => bucket.count);
      return;
    }
    if (buckets.length !== this.bounds.length) return;
    buckets.forEach((bucket, i) => {
      if (bucket.le === this.bounds[i]) this.counts[i] = (this.counts[i] ?? 0) + bucket.count;
    });
  }

  /** The summed cumulative buckets. */
  buckets(): HistogramBucket[] {
    return this.bounds.map((le, i) => ({ le, count: this.counts[i] ?? 0 }));
  }
}

class ModelAccumulator {
  requests = 0;
  errors = 0;
  tokens: TokenCounts = { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
  costUsd = 0;
  unpricedRequests = 0;
  estimatedRequests = 0;
  inFlight = 0;
  readonly duration = new BucketSum();
  readonly timeToFirstToken = new BucketSum();

  constructor(
    readonly provider: string,
    readonly model: string,
  ) {}

  summary(): ModelSummary {
    return {
      provider: this.provider,
      model: this.model,
      requests: this.requests,
      errors: this.errors,
      errorRatio: this.requests > 0 ? this.errors / this.requests : 0,
      latency: quantilesOf(this.duration.buckets()),
      timeToFirstToken: quantilesOf(this.timeToFirstToken.buckets()),
      tokens: { ...this.tokens },
      costUsd: this.costUsd,
      unpricedRequests: this.unpricedRequests,
      estimatedRequests: this.estimatedRequests,
      inFlight: this.inFlight,
    };
  }
}

function accumulatorFor(models: Map<string, ModelAccumulator>, labels: SeriesLabels): ModelAccumulator {
  const provider = labels.provider ?? '';
  const model = labels.model ?? '';
  const key = `${provider}\u0000${model}`;
  let acc = models.get(key);
  if (!acc) {
    acc = new ModelAccumulator(provider, model);
    models.set(key, acc);
  }
  return acc;
}

async function readValues(registry: Registry, name: string): Promise<SeriesValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  return values.map((sample) => ({ labels: stringLabels(sample.labels), value: sample.value }));
}

async function readHistogram(registry: Registry, name: string): Promise<HistogramValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  const bucketName = `${name}_bucket`;
  const byLabels = new Map<string, HistogramValue>();
  for (const sample of values) {
    if ((sample as { metricName?: string }).metricName !== bucketName) continue;
    const { le, ...rest } = stringLabels(sample.labels);
    if (le === undefined) continue;
    const labels = rest;
    const key = seriesKey(labels);
    let series = byLabels.get(key);
    if (!series) {
      series = { labels, buckets: [] };
      byLabels.set(key, series);
    }
    series.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: sample.value });
  }
  for (const series of byLabels.values()) series.buckets.sort((a, b) => a.le - b.le);
  return [...byLabels.values()];
}

/** A stable key of a label set, whatever the order of its names. */
export function seriesKey(labels: SeriesLabels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function stringLabels(labels: Partial<Record<string, string | number>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) if (value !== undefined) result[name] = String(value);
  return result;
}
