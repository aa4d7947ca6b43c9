export { type Budget, BudgetConfigError, periodStart } from './budgets.js';
export { type CallEnd, callOutcome, type FollowedStream, type TransportEnding } from './call-outcome.js';
export { CardinalityGuard, type CardinalityLimits, DEFAULT_CARDINALITY_LIMITS } from './cardinality-guard.js';
export { errorReporter, warnOnce } from './error-report.js';
export { errorTypeFromError, errorTypeFromStatus } from './error-type.js';
export {
  countTokens,
  type EncodingName,
  encodingForModel,
  estimateUsage,
  preloadTokenizers,
} from './estimation/index.js';
export { PrometheusTextRenderer } from './exposition/prometheus-text.js';
export {
  type CallOutcome,
  type CallStart,
  createMeter,
  InFlightCall,
  Meter,
  MeterConfigError,
  type MeterOptions,
  metricsVersion,
} from './meter.js';
export {
  BUDGET_PERIODS,
  type Buckets,
  type BudgetPeriod,
  COMMON_LABEL_NAMES,
  CONTRACT_LABEL_NAMES,
  type CommonLabelName,
  DEFAULT_BUCKETS,
  DEFAULT_PREFIX,
  ERROR_TYPES,
  type ErrorType,
  type ExtraLabelName,
  type ExtraLabels,
  hasUserLabels,
  LABEL_VALUES,
  METRIC_KEYS,
  METRICS,
  type MetricKey,
  type MetricKeyOfType,
  type MetricSpec,
  type MetricType,
  metricLabelNames,
  metricName,
  OPERATIONS,
  type Operation,
  OVERFLOW_LABEL_VALUE,
  RATE_LIMIT_RESOURCES,
  type RateLimitResource,
  REFUSAL_REASONS,
  RESERVED_LABEL_NAMES,
  type RefusalReason,
  SERVICE_TIERS,
  type ServiceTier,
  STATUSES,
  type Status,
  TOKEN_TYPES,
  type TokenType,
  UNKNOWN_LABEL_VALUE,
} from './metric-contract.js';
export {
  InvalidPriceError,
  type ModelPrice,
  OPENAI_TIER_PRICES,
  OPENAI_TIER_PRICES_SOURCE,
  openAiTierPrices,
  PriceBook,
  type PriceBookOptions,
  type PriceOverrides,
  type TierPrices,
  type TierTokenPrices,
} from './pricing/index.js';
export {
  goDurationSeconds,
  type HeaderLookup,
  type RateLimitReading,
  type RateLimits,
  readRateLimits,
} from './rate-limits.js';
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
} from './read-back/index.js';
export type { CallRecord, Labels, Usage, UsageSource } from './record.js';
export { emptyUsage } from './record.js';
export {
  type PendingResponses,
  RESPONSE_LEDGER_MAX_IDS,
  RESPONSE_LEDGER_TTL_MS,
  ResponseLedger,
  type ResponseLedgerOptions,
  responseLedgerFor,
} from './response-ledger.js';
