import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from 'prom-client';
import { type Buckets, DEFAULT_BUCKETS } from './buckets.js';
import { CardinalityGuard, type CardinalityLimits } from './cardinality-guard.js';
import { PriceBook, type PriceOverrides } from './pricing/index.js';
import type { CallRecord, ErrorType, Labels, Operation, Usage, UsageSource } from './record.js';
import { ERROR_TYPES, TOKEN_TYPES } from './record.js';
import { Series } from './series.js';

/** Labels every llmeter metric carries, before the user's own. */
export const COMMON_LABEL_NAMES = ['provider', 'model', 'operation'] as const;

const RESERVED_LABEL_NAMES = new Set<string>([...COMMON_LABEL_NAMES, 'status', 'error_type', 'type', 'le', 'quantile']);
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A meter was asked for a configuration it cannot have (bad names, or a clash with metrics already registered). */
export class MeterConfigError extends Error {
  override readonly name = 'MeterConfigError';
}

/** How to build a {@link Meter}. Every field is optional. */
export interface MeterOptions {
  /** Where metrics live. Default: prom-client's global `register`, beside the app's own metrics. */
  registry?: Registry;
  /** Prefix of every metric name. Default `llm_`. */
  prefix?: string;
  /**
   * Names of the user labels (e.g. `team`, `feature`) every metric carries. Prometheus needs them up front;
   * a call's label with another name is dropped. Calls that do not set one get an empty value.
   */
  labelNames?: readonly string[];
  /** Histogram buckets, in seconds; each one given replaces the default. */
  buckets?: Partial<Buckets>;
  /** Cardinality limits (distinct models, distinct values per user label, value length). */
  limits?: CardinalityLimits;
  /** Prices: a {@link PriceBook}, or overrides added to the bundled prices. */
  prices?: PriceBook | PriceOverrides;
  /** Called with any error raised while recording. Recording never throws into the caller's code. */
  onError?: (error: unknown) => void;
}

/** What is known when a call starts. */
export interface CallStart {
  provider: string;
  operation: Operation;
  /** The model the request named; empty when it named none. */
  model: string;
  stream: boolean;
  labels?: Labels | undefined;
  /** `performance.now()` when the call started; default now. */
  startedAt?: number;
}

/** What is known when a call ends. */
export interface CallOutcome {
  responseModel?: string | undefined;
  usage?: Usage | undefined;
  /** Default: `reported` when `usage` is set, else `none`. */
  usageSource?: UsageSource;
  /** Set for a failed call. */
  errorType?: ErrorType | undefined;
  /** `performance.now()` when the call ended; default now. */
  endedAt?: number;
}

interface MeterMetrics {
  labelNames: readonly string[];
  duration: Histogram;
  timeToFirstToken: Histogram;
  timePerOutputToken: Histogram;
  guard: CardinalityGuard;
  /** Every label set seen, by a key of its values; bounded by the guard. */
  series: Map<string, Series>;
}

// One set of metrics per registry and prefix: a second meter on the same registry shares them instead of
// failing on prom-client's duplicate-name check.
const metricsByRegistry = new WeakMap<Registry, Map<string, MeterMetrics>>();

/** One call under way. Ends exactly once: later calls to {@link InFlightCall.end} are ignored. */
export class InFlightCall {
  readonly startedAt: number;
  /** When the first content arrived; set by {@link InFlightCall.markFirstToken}. */
  firstTokenAt: number | undefined;
  private ended = false;

  /** @internal */
  constructor(
    private readonly meter: Meter,
    private readonly start: CallStart,
    private readonly series: Series,
  ) {
    this.startedAt = start.startedAt ?? performance.now();
  }

  /** Marks time to first token; only the first mark counts. */
  markFirstToken(at: number = performance.now()): void {
    if (this.firstTokenAt === undefined) this.firstTokenAt = at;
  }

  /** Whether {@link InFlightCall.end} has run. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Records the call and takes it off the in-flight gauge. Returns false if it had already ended. */
  end(outcome: CallOutcome = {}): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.series.inFlight--;
    this.meter.write(
      {
        provider: this.start.provider,
        operation: this.start.operation,
        model: this.start.model,
        stream: this.start.stream,
        labels: this.start.labels,
        startedAt: this.startedAt,
        firstTokenAt: this.firstTokenAt,
        endedAt: outcome.endedAt ?? performance.now(),
        responseModel: outcome.responseModel,
        usage: outcome.usage,
        usageSource: outcome.usageSource ?? (outcome.usage ? 'reported' : 'none'),
        errorType: outcome.errorType,
      },
      this.series,
    );
    return true;
  }
}

/**
 * The recorder: the only part of llmeter that touches prom-client. Turns {@link CallRecord}s into the metric
 * contract (see the README) on one registry. Recording never throws: failures go to `onError`.
 */
export class Meter {
  /** The registry the metrics live on. */
  readonly registry: Registry;
  /** The prices used for `*_cost_usd_total`. */
  readonly prices: PriceBook;
  private readonly metrics: MeterMetrics;
  private readonly onError: (error: unknown) => void;

  constructor(options: MeterOptions = {}) {
    this.registry = options.registry ?? globalRegistry;
    this.prices = options.prices instanceof PriceBook ? options.prices : new PriceBook({ overrides: options.prices });
    this.onError = options.onError ?? warnOnce;
    this.metrics = metricsFor(this.registry, options);
  }

  /** The user label names this meter's metrics carry. */
  get labelNames(): readonly string[] {
    return this.metrics.labelNames;
  }

  /** Starts a call: it counts as in flight until {@link InFlightCall.end}. */
  start(call: CallStart): InFlightCall {
    const series = this.series(call.provider, call.model, call.operation, call.labels);
    series.inFlight++;
    return new InFlightCall(this, call, series);
  }

  /** Records a call that was not started with {@link Meter.start} (no in-flight tracking). */
  record(record: CallRecord): void {
    this.write(record, this.series(record.provider, record.model, record.operation, record.labels));
  }

  /** @internal Adds one finished call to its series; called once per call. */
  write(record: CallRecord, series: Series): void {
    try {
      const m = this.metrics;
      const durationSeconds = Math.max(0, record.endedAt - record.startedAt) / 1000;
      if (record.errorType) {
        series.error++;
        series.fail(record.errorType);
        m.duration.observe(series.errorLabels, durationSeconds);
      } else {
        series.ok++;
        m.duration.observe(series.okLabels, durationSeconds);
      }
      const ttftSeconds =
        record.stream && record.firstTokenAt !== undefined
          ? Math.max(0, record.firstTokenAt - record.startedAt) / 1000
          : undefined;
      if (ttftSeconds !== undefined) m.timeToFirstToken.observe(series.labels, ttftSeconds);

      const usage = record.usage;
      if (!usage) return;
      series.withUsage++;
      if (record.usageSource === 'estimated') series.estimated++;
      const tokens = series.tokens;
      for (let i = 0; i < TOKEN_TYPES.length; i++) {
        const field = TOKEN_TYPES[i]?.[1];
        if (field !== undefined) tokens[i] = (tokens[i] ?? 0) + usage[field];
      }
      if (ttftSeconds !== undefined && usage.output > 1) {
        m.timePerOutputToken.observe(series.labels, Math.max(0, durationSeconds - ttftSeconds) / (usage.output - 1));
      }
      if (usage.input + usage.output === 0) return;
      const cost = this.prices.cost(record.provider, record.responseModel || record.model, usage);
      if (cost === undefined) {
        series.unpriced++;
      } else {
        series.priced++;
        series.cost += cost;
      }
    } catch (error) {
      this.reportError(error);
    }
  }

  private series(provider: string, model: string, operation: Operation, labels: Labels | undefined): Series {
    const { guard, labelNames, series } = this.metrics;
    const providerValue = guard.admit('provider', provider || 'unknown');
    const modelValue = guard.admit('model', model || 'unknown');
    let key = `${providerValue}\u0000${modelValue}\u0000${operation}`;
    const values: string[] = [];
    for (const name of labelNames) {
      const value = labels?.[name];
      const admitted = value ? guard.admit(name, value) : '';
      values.push(admitted);
      key += `\u0000${admitted}`;
    }
    let found = series.get(key);
    if (found === undefined) {
      const seriesLabels: Record<string, string> = { provider: providerValue, model: modelValue, operation };
      labelNames.forEach((name, index) => {
        seriesLabels[name] = values[index] ?? '';
      });
      found = new Series(seriesLabels);
      series.set(key, found);
    }
    return found;
  }

  private reportError(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // A throwing error hook must not break the caller's call either.
    }
  }
}

/** Builds a {@link Meter}. A second meter on the same registry and prefix shares the first one's metrics. */
export function createMeter(options: MeterOptions = {}): Meter {
  return new Meter(options);
}

let warned = false;
function warnOnce(error: unknown): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `llmeter: a measurement failed and was skipped (further failures are not reported): ${String(error)}`,
  );
}

function metricsFor(registry: Registry, options: MeterOptions): MeterMetrics {
  const prefix = options.prefix ?? 'llm_';
  if (!METRIC_PREFIX.test(prefix)) throw new MeterConfigError(`llmeter: invalid metric prefix "${prefix}"`);
  const labelNames = [...new Set(options.labelNames ?? [])];
  for (const name of labelNames) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || RESERVED_LABEL_NAMES.has(name)) {
      throw new MeterConfigError(
        `llmeter: "${name}" cannot be a user label name (reserved or not a Prometheus label name)`,
      );
    }
  }
  let byPrefix = metricsByRegistry.get(registry);
  if (!byPrefix) {
    byPrefix = new Map();
    metricsByRegistry.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  // A registry that was cleared (`registry.clear()`) no longer holds the metrics: build them anew.
  if (existing && registry.getSingleMetric(`${prefix}request_duration_seconds`) === existing.duration) {
    const missing = labelNames.filter((name) => !existing.labelNames.includes(name));
    if (missing.length > 0) {
      throw new MeterConfigError(
        `llmeter: the ${prefix}* metrics on this registry were created without label(s) ${missing.join(', ')}; ` +
          'declare every label name on the first meter (labelNames)',
      );
    }
    return existing;
  }
  const buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
  const common = [...COMMON_LABEL_NAMES, ...labelNames];
  const series = new Map<string, Series>();
  const histogram = (name: string, help: string, names: string[], bounds: readonly number[]) =>
    new Histogram({ name: `${prefix}${name}`, help, labelNames: names, buckets: [...bounds], registers: [] });
  // Counters and the gauge are written from the series totals when a scrape collects them.
  const counter = (name: string, help: string, names: string[], fill: (counter: Counter, series: Series) => void) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: names,
      registers: [],
      collect(this: Counter) {
        this.reset();
        for (const one of series.values()) fill(this, one);
      },
    });
  // One sample per series with the common labels, present once the series has counted a call of its kind.
  const seriesCounter = (
    name: string,
    help: string,
    calls: (series: Series) => number,
    value: (series: Series) => number = calls,
  ) =>
    counter(name, help, common, (c, one) => {
      if (calls(one) > 0) c.inc(one.labels, value(one));
    });
  const made: MeterMetrics = {
    labelNames,
    guard: new CardinalityGuard(options.limits),
    series,
    duration: histogram(
      'request_duration_seconds',
      'Duration of LLM calls, from start to last byte, in seconds.',
      [...common, 'status'],
      buckets.duration,
    ),
    timeToFirstToken: histogram(
      'time_to_first_token_seconds',
      'Streaming LLM calls: time from start to the first content, in seconds.',
      common,
      buckets.timeToFirstToken,
    ),
    timePerOutputToken: histogram(
      'time_per_output_token_seconds',
      'Streaming LLM calls: (duration - time to first token) / (output tokens - 1), in seconds.',
      common,
      buckets.timePerOutputToken,
    ),
  };
  const metrics = [
    counter('requests_total', 'LLM calls finished, by status (ok or error).', [...common, 'status'], (c, one) => {
      if (one.ok > 0) c.inc(one.okLabels, one.ok);
      if (one.error > 0) c.inc(one.errorLabels, one.error);
    }),
    counter(
      'request_failures_total',
      'Failed LLM calls, by cause (error_type).',
      [...common, 'error_type'],
      (c, one) => {
        one.failures.forEach((count, index) => {
          if (count > 0) c.inc({ ...one.labels, error_type: ERROR_TYPES[index] ?? 'other' }, count);
        });
      },
    ),
    made.duration,
    made.timeToFirstToken,
    made.timePerOutputToken,
    counter(
      'tokens_total',
      'Tokens by type: input, output, and the parts cached_input, cache_write (of input) and reasoning (of output).',
      [...common, 'type'],
      (c, one) => {
        if (one.withUsage === 0) return;
        one.tokens.forEach((count, index) => {
          const type = TOKEN_TYPES[index]?.[0] ?? 'input';
          // Input and output always get a series, so that rate() over them exists from the first call.
          if (count > 0 || index < 2) c.inc({ ...one.labels, type }, count);
        });
      },
    ),
    seriesCounter(
      'cost_usd_total',
      'Cost of LLM calls in US dollars, from the provider-reported (or estimated) tokens and known prices.',
      (one) => one.priced,
      (one) => one.cost,
    ),
    seriesCounter(
      'unpriced_requests_total',
      'LLM calls whose model has no known price (tokens counted, cost not guessed).',
      (one) => one.unpriced,
    ),
    seriesCounter(
      'usage_estimated_total',
      'LLM calls whose tokens were counted locally because the provider reported no usage.',
      (one) => one.estimated,
    ),
    new Gauge({
      name: `${prefix}requests_in_flight`,
      help: 'LLM calls under way.',
      labelNames: common,
      registers: [],
      collect(this: Gauge) {
        this.reset();
        for (const one of series.values()) this.set(one.labels, one.inFlight);
      },
    }),
  ];
  for (const metric of metrics) {
    try {
      registry.registerMetric(metric);
    } catch (error) {
      throw new MeterConfigError(
        `llmeter: cannot register ${prefix}* metrics on this registry (another metric has the same name): ${String(error)}`,
      );
    }
  }
  byPrefix.set(prefix, made);
  return made;
}
