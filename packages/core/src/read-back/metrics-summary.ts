import type { Registry } from 'prom-client';
import { DEFAULT_PREFIX, type Status, TOKEN_TYPES } from '../metric-contract.js';
import { emptyUsage, type Usage } from '../record.js';
import { BucketSum, type Quantiles, quantilesOf } from './histogram-quantile.js';
import { type MetricsSnapshot, readMetricsSnapshot, type SeriesValue } from './metrics-snapshot.js';
import { type LabelFilter, matchesFilter, type SeriesLabels, userLabels } from './series-labels.js';

/** Token counts by the `type` label of `tokens_total`, in the fields of {@link Usage}. */
export type TokenCounts = Usage;

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

/** The {@link Usage} field of each value of the `type` label. */
const TOKEN_FIELDS: ReadonlyMap<string, (typeof TOKEN_TYPES)[number][1]> = new Map(TOKEN_TYPES);

const ERROR_STATUS: Status = 'error';

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
    if (labels.status === ERROR_STATUS) acc.errors += value;
  });
  each(snapshot.tokens, (acc, { labels, value }) => {
    const field = TOKEN_FIELDS.get(labels.type ?? '');
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
  return summarizeSnapshot(await readMetricsSnapshot(registry, options.prefix ?? DEFAULT_PREFIX), options.filter);
}

class ModelAccumulator {
  requests = 0;
  errors = 0;
  tokens: TokenCounts = emptyUsage();
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
