export {
  BucketSum,
  type HistogramBucket,
  histogramQuantile,
  type Quantiles,
  quantilesOf,
} from './histogram-quantile.js';
export {
  type HistogramValue,
  type MetricsSnapshot,
  readMetricsSnapshot,
  type SeriesValue,
} from './metrics-snapshot.js';
export {
  type MetricsSummary,
  type ModelSummary,
  summarizeMetrics,
  summarizeSnapshot,
  type TokenCounts,
} from './metrics-summary.js';
export { type LabelFilter, matchesFilter, type SeriesLabels, seriesKey, userLabels } from './series-labels.js';
