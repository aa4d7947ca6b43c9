/**
 * The metric contract, as data: every name, type, help text, label and bucket llmeter exposes, and the fixed
 * label values. Dashboards and alerts depend on it, so everything else (the recorder, the read-back, the drift
 * tests of the README and of `deploy/`) reads it from here instead of keeping its own copy.
 */
import type { Usage } from './record.js';

/** Prefix of every metric name unless the meter is given another. */
export const DEFAULT_PREFIX = 'llm_';

/** Labels every llmeter metric carries, before the user's own. */
export const COMMON_LABEL_NAMES = ['provider', 'model', 'operation'] as const;

/** A name of {@link COMMON_LABEL_NAMES}. */
export type CommonLabelName = (typeof COMMON_LABEL_NAMES)[number];

/** What kind of API call this was: the values of the `operation` label, in a fixed order. */
export const OPERATIONS = ['chat', 'responses', 'embeddings', 'text_completion', 'other'] as const;

/** What kind of API call this was. The `operation` label. */
export type Operation = (typeof OPERATIONS)[number];

/** Whether a call failed: the values of the `status` label. */
export const STATUSES = ['ok', 'error'] as const;

/** The `status` label. */
export type Status = (typeof STATUSES)[number];

/** Why a call failed: the values of the `error_type` label, a fixed list documented in the README. */
export const ERROR_TYPES = [
  'rate_limit',
  'auth',
  'bad_request',
  'timeout',
  'overloaded',
  'server_error',
  'network',
  'aborted',
  'stream_error',
  'other',
] as const;

/** Why a call failed. The `error_type` label. */
export type ErrorType = (typeof ERROR_TYPES)[number];

/** The `type` label of `*_tokens_total`, in a fixed order, with the {@link Usage} field each reads. */
export const TOKEN_TYPES = [
  ['input', 'input'],
  ['output', 'output'],
  ['cached_input', 'cachedInput'],
  ['cache_write', 'cacheWrite'],
  ['reasoning', 'reasoning'],
] as const satisfies readonly (readonly [string, keyof Usage])[];

/** A value of the `type` label of `*_tokens_total`. */
export type TokenType = (typeof TOKEN_TYPES)[number][0];

/**
 * Server-side tools a provider runs for a call (the `tool` label of `*_server_tool_calls_total`): Anthropic's
 * `usage.server_tool_use.*_requests`, OpenAI Responses output items (`web_search_call`, `file_search_call`,
 * `code_interpreter_call` as `code_execution`, `image_generation_call`).
 */
export const SERVER_TOOLS = ['web_search', 'web_fetch', 'code_execution', 'file_search', 'image_generation'] as const;

/** A value of the `tool` label of `*_server_tool_calls_total`. */
export type ServerTool = (typeof SERVER_TOOLS)[number];

/**
 * The service tiers a call can be served at other than the standard one: the values of the `service_tier` label
 * of `*_unpriced_tier_calls_total`. `other` is a tier llmeter does not know.
 */
export const SERVICE_TIERS = ['flex', 'priority', 'scale', 'batch', 'other'] as const;

/** A value of the `service_tier` label. */
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** The value a label takes once its distinct values are used up (the cardinality guard). */
export const OVERFLOW_LABEL_VALUE = 'other';

/** The value of `provider` or `model` when the call named none. */
export const UNKNOWN_LABEL_VALUE = 'unknown';

/** What a provider's rate limit counts: the values of the `resource` label of `*_ratelimit_*`, in a fixed order. */
export const RATE_LIMIT_RESOURCES = ['requests', 'tokens', 'input_tokens', 'output_tokens'] as const;

/** The `resource` label of `*_ratelimit_*`. */
export type RateLimitResource = (typeof RATE_LIMIT_RESOURCES)[number];

/**
 * Why the proxy answered a request itself, without calling an upstream: the values of the `reason` label of
 * `*_proxy_refused_total`.
 */
export const REFUSAL_REASONS = [
  'request_too_large',
  'invalid_request_target',
  'host_not_allowed',
  'malformed_request',
  'upgrade_not_supported',
] as const;

/** The `reason` label of `*_proxy_refused_total`. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The UTC calendar periods a budget counts spend over: the values of the `period` label of `*_budget_*`. */
export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;

/** The `period` label of `*_budget_*`. */
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** The labels some metrics carry beyond the common ones, each with the type of its values. */
export interface ExtraLabels {
  status: Status;
  error_type: ErrorType;
  type: TokenType;
  resource: RateLimitResource;
  reason: RefusalReason;
  period: BudgetPeriod;
  tool: ServerTool;
  service_tier: ServiceTier;
}

/** A name of {@link ExtraLabels}. */
export type ExtraLabelName = keyof ExtraLabels;

/** Every value each fixed-valued label may take. */
export const LABEL_VALUES: { readonly [Name in ExtraLabelName | 'operation']: readonly string[] } = {
  operation: OPERATIONS,
  status: STATUSES,
  error_type: ERROR_TYPES,
  type: TOKEN_TYPES.map(([type]) => type),
  resource: RATE_LIMIT_RESOURCES,
  reason: REFUSAL_REASONS,
  period: BUDGET_PERIODS,
  tool: SERVER_TOOLS,
  service_tier: SERVICE_TIERS,
};

/** Histogram bucket bounds, in seconds, one set per histogram. */
export interface Buckets {
  /** `*_request_duration_seconds`. */
  duration: readonly number[];
  /** `*_time_to_first_token_seconds`. */
  timeToFirstToken: readonly number[];
  /** `*_time_per_output_token_seconds`. */
  timePerOutputToken: readonly number[];
  /** `*_proxy_overhead_seconds`. */
  proxyOverhead: readonly number[];
}

/**
 * The defaults: OpenTelemetry's GenAI semantic-convention buckets for duration
 * (`gen_ai.client.operation.duration`, doubling from 10 ms) and time to first token
 * (`gen_ai.server.time_to_first_token`), and its `gen_ai.server.time_per_output_token` buckets, so that
 * dashboards built for either read the same boundaries.
 */
export const DEFAULT_BUCKETS: Buckets = {
  duration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timeToFirstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  timePerOutputToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
  // The proxy's own work per call is tens of microseconds when all is well; milliseconds mean trouble.
  proxyOverhead: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
};

/** A Prometheus metric type llmeter uses. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric of the contract. */
export interface MetricSpec {
  /** The name without the prefix. */
  readonly name: string;
  readonly type: MetricType;
  /** The `# HELP` text. */
  readonly help: string;
  /** Labels beyond {@link COMMON_LABEL_NAMES} (and the user's). */
  readonly labels: readonly ExtraLabelName[];
  /**
   * The common labels it carries when not all of them, and then no user labels either: the metrics of the
   * proxy's own work and of a provider's rate limits are not about one call.
   */
  readonly common?: readonly CommonLabelName[];
  /** The bucket set of a histogram, a key of {@link Buckets}. */
  readonly buckets?: keyof Buckets;
}

/**
 * Every metric, in the order they are registered and documented. The keys name them in code (and are the fields
 * of the read-back's snapshot); `name` is what Prometheus sees, after the prefix.
 *
 * @example
 * ```ts
 * import { METRICS, metricName } from '@llmeter/core';
 * metricName('requests'); // 'llm_requests_total'
 * METRICS.duration.labels; // ['status']
 * ```
 */
export const METRICS = {
  requests: {
    name: 'requests_total',
    type: 'counter',
    help: 'LLM calls finished, by status (ok or error).',
    labels: ['status'],
  },
  failures: {
    name: 'request_failures_total',
    type: 'counter',
    help: 'Failed LLM calls, by cause (error_type).',
    labels: ['error_type'],
  },
  duration: {
    name: 'request_duration_seconds',
    type: 'histogram',
    help: 'Duration of LLM calls, from start to last byte, in seconds.',
    labels: ['status'],
    buckets: 'duration',
  },
  timeToFirstToken: {
    name: 'time_to_first_token_seconds',
    type: 'histogram',
    help: 'Streaming LLM calls: time from start to the first content, in seconds.',
    labels: [],
    buckets: 'timeToFirstToken',
  },
  timePerOutputToken: {
    name: 'time_per_output_token_seconds',
    type: 'histogram',
    help: 'Streaming LLM calls: (duration - time to first token) / (output tokens - 1), in seconds.',
    labels: [],
    buckets: 'timePerOutputToken',
  },
  tokens: {
    name: 'tokens_total',
    type: 'counter',
    help: 'Tokens by type: input, output, and the parts cached_input, cache_write (of input) and reasoning (of output).',
    labels: ['type'],
  },
  cost: {
    name: 'cost_usd_total',
    type: 'counter',
    help: 'Cost of LLM calls in US dollars, from the provider-reported (or estimated) tokens and known prices.',
    labels: [],
  },
  unpriced: {
    name: 'unpriced_requests_total',
    type: 'counter',
    help: 'LLM calls whose model has no known price (tokens counted, cost not guessed).',
    labels: [],
  },
  estimated: {
    name: 'usage_estimated_total',
    type: 'counter',
    help: 'LLM calls whose tokens were counted locally because the provider reported no usage.',
    labels: [],
  },
  usageMissing: {
    name: 'usage_missing_total',
    type: 'counter',
    help: 'Successful LLM calls with no usage reported and none estimated: their tokens and cost are not counted.',
    labels: [],
  },
  serverToolCalls: {
    name: 'server_tool_calls_total',
    type: 'counter',
    help: 'Server-side tool calls the provider ran (web_search, web_fetch, code_execution, file_search, image_generation), by tool.',
    labels: ['tool'],
  },
  unpricedTier: {
    name: 'unpriced_tier_calls_total',
    type: 'counter',
    help: 'LLM calls served at a service tier (flex, priority, …) with no known price of its own: priced at the standard rate.',
    labels: ['service_tier'],
  },
  seriesOverflow: {
    name: 'series_overflow_total',
    type: 'counter',
    help: 'LLM calls folded into this overflow label set because the series budget (limits.series) was full.',
    labels: [],
  },
  inFlight: {
    name: 'requests_in_flight',
    type: 'gauge',
    help: 'LLM calls under way.',
    labels: [],
  },
  backgroundPending: {
    name: 'background_responses_pending',
    type: 'gauge',
    help: 'OpenAI background responses seen started but not yet seen finished: their usage is not counted yet.',
    labels: [],
    common: ['provider', 'model'],
  },
  rateLimitLimit: {
    name: 'ratelimit_limit',
    type: 'gauge',
    help: "The provider's rate limit, by resource, as its latest response reported it.",
    labels: ['resource'],
    common: ['provider', 'model'],
  },
  rateLimitRemaining: {
    name: 'ratelimit_remaining',
    type: 'gauge',
    help: "What is left of the provider's rate limit, by resource, as its latest response reported it.",
    labels: ['resource'],
    common: ['provider', 'model'],
  },
  rateLimitReset: {
    name: 'ratelimit_reset_seconds',
    type: 'gauge',
    help: "Seconds until the provider's rate limit resets, by resource, as of its latest response.",
    labels: ['resource'],
    common: ['provider', 'model'],
  },
  budget: {
    name: 'budget_usd',
    type: 'gauge',
    help: 'A spending budget in US dollars per period, labelled with the labels it is on.',
    labels: ['period'],
    common: [],
  },
  budgetSpent: {
    name: 'budget_spent_usd',
    type: 'gauge',
    help: "US dollars this process spent against a budget in the budget's current UTC period (sum over processes).",
    labels: ['period'],
    common: [],
  },
  proxyRefused: {
    name: 'proxy_refused_total',
    type: 'counter',
    help: 'Requests the proxy answered itself without calling an upstream, by reason.',
    labels: ['reason'],
    common: [],
  },
  upstreamConnectionErrors: {
    name: 'proxy_upstream_connection_errors_total',
    type: 'counter',
    help: 'Calls through the proxy whose upstream could not be reached (refused, reset, DNS, TLS), no response.',
    labels: [],
    common: ['provider'],
  },
  proxyOverhead: {
    name: 'proxy_overhead_seconds',
    type: 'histogram',
    help: "Time the proxy's own work adds to a call: body received to request handed to the upstream, plus response headers received to passed on.",
    labels: [],
    common: ['provider'],
    buckets: 'proxyOverhead',
  },
} as const satisfies Record<string, MetricSpec>;

/** A key of {@link METRICS}. */
export type MetricKey = keyof typeof METRICS;

/** The keys of the metrics of one type. */
export type MetricKeyOfType<Type extends MetricType> = {
  [Key in MetricKey]: (typeof METRICS)[Key]['type'] extends Type ? Key : never;
}[MetricKey];

/** Every key of {@link METRICS}, in order. */
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

/**
 * The full name of a metric under a prefix.
 *
 * @example
 * ```ts
 * metricName('cost', 'acme_'); // 'acme_cost_usd_total'
 * ```
 */
export function metricName(key: MetricKey, prefix: string = DEFAULT_PREFIX): string {
  return `${prefix}${METRICS[key].name}`;
}

/**
 * The contract's labels of a metric, common ones first (user labels and a histogram's `le` come on top).
 *
 * @example
 * ```ts
 * metricLabelNames('tokens'); // ['provider', 'model', 'operation', 'type']
 * ```
 */
export function metricLabelNames(key: MetricKey): readonly (CommonLabelName | ExtraLabelName)[] {
  const spec: MetricSpec = METRICS[key];
  return [...(spec.common ?? COMMON_LABEL_NAMES), ...spec.labels];
}

/**
 * Whether a metric carries the user's labels: those about calls do; those of the proxy's own work and of
 * rate limits (which have {@link MetricSpec.common}) do not.
 *
 * @example
 * ```ts
 * hasUserLabels('cost'); // true
 * hasUserLabels('rateLimitRemaining'); // false
 * ```
 */
export function hasUserLabels(key: MetricKey): boolean {
  const spec: MetricSpec = METRICS[key];
  return spec.common === undefined;
}

/** Every label of the contract: the common ones and the extra ones; any other label of a series is a user label. */
export const CONTRACT_LABEL_NAMES: ReadonlySet<string> = new Set<string>(
  METRIC_KEYS.flatMap((key) => metricLabelNames(key)),
);

/** Label names a user label cannot take: the contract's own, and those Prometheus gives a meaning. */
export const RESERVED_LABEL_NAMES: ReadonlySet<string> = new Set([...CONTRACT_LABEL_NAMES, 'le', 'quantile']);
