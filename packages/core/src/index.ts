export { type Buckets, DEFAULT_BUCKETS } from './buckets.js';
export {
  CardinalityGuard,
  type CardinalityLimits,
  DEFAULT_CARDINALITY_LIMITS,
  OVERFLOW_LABEL_VALUE,
} from './cardinality-guard.js';
export { errorTypeFromError, errorTypeFromStatus } from './error-type.js';
export {
  countTokens,
  type EncodingName,
  encodingForModel,
  estimateUsage,
  preloadTokenizers,
} from './estimation/index.js';
export {
  type CallOutcome,
  type CallStart,
  COMMON_LABEL_NAMES,
  createMeter,
  InFlightCall,
  Meter,
  MeterConfigError,
  type MeterOptions,
} from './meter.js';
export {
  InvalidPriceError,
  type ModelPrice,
  PriceBook,
  type PriceBookOptions,
  type PriceOverrides,
} from './pricing/index.js';
export {
  BucketSum,
  type HistogramBucket,
  type HistogramValue,
  histogramQuantile,
  type LabelFilter,
  type MetricsSnapshot,
  type MetricsSummary,
  type ModelSummary,
  matchesFilter,
  type Quantiles,
  quantilesOf,
  readMetricsSnapshot,
  type SeriesLabels,
  type SeriesValue,
  seriesKey,
  summarizeMetrics,
  summarizeSnapshot,
  type TokenCounts,
  userLabels,
} from './read-back/metrics-summary.js';
export type { CallRecord, ErrorType, Labels, Operation, Usage, UsageSource } from './record.js';
export { ERROR_TYPES, emptyUsage, OPERATIONS, TOKEN_TYPES } from './record.js';
export { type StreamEnd, type StreamEnding, streamOutcome } from './stream-outcome.js';
export { anthropicWireFormat } from './wire/anthropic.js';
export { wireFormatForPath, wireFormats } from './wire/index.js';
export { openAiWireFormat } from './wire/openai.js';
export { type SseEvent, SseParser } from './wire/sse-parser.js';
export type {
  ResponseSummary,
  StreamAccumulator,
  StreamEventKind,
  StreamSummary,
  WireFormat,
  WireFormatName,
} from './wire/wire-format.js';
