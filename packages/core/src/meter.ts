import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from 'prom-client';
import { type Budget, BudgetConfigError, BudgetTracker, type TrackedBudget } from './budgets.js';
import {
  CardinalityGuard,
  type CardinalityLimits,
  DEFAULT_CARDINALITY_LIMITS,
  resolveCardinalityLimits,
} from './cardinality-guard.js';
import { errorReporter } from './error-report.js';
import {
  type Buckets,
  type CommonLabelName,
  DEFAULT_BUCKETS,
  DEFAULT_PREFIX,
  ERROR_TYPES,
  type ErrorType,
  type ExtraLabels,
  hasUserLabels,
  METRICS,
  type MetricKeyOfType,
  metricLabelNames,
  metricName,
  type Operation,
  OVERFLOW_LABEL_VALUE,
  RESERVED_LABEL_NAMES,
  type RefusalReason,
  SERVER_TOOLS,
  SERVICE_TIERS,
  type ServerTool,
  TOKEN_TYPES,
  UNKNOWN_LABEL_VALUE,
} from './metric-contract.js';
import { PriceBook, type PriceOverrides } from './pricing/index.js';
import { type HeaderLookup, RateLimitBook, type RateLimitEntry } from './rate-limits.js';
import type { CallRecord, Labels, Usage, UsageSource } from './record.js';
import { responseLedgerFor } from './response-ledger.js';
import { HISTOGRAM_SLOT, type HistogramEntry, type HistogramSlot, Series, type SeriesLabels } from './series.js';

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TIER_INDEX = new Map<string, number>(SERVICE_TIERS.map((tier, index) => [tier, index]));
const OTHER_TIER_INDEX = SERVICE_TIERS.indexOf('other');
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A meter was asked for a configuration it cannot have: bad names, a clash with metrics already registered, or
 * labels, buckets or limits other than those of the metrics it would share with an earlier meter.
 */
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
  /**
   * Histogram buckets, in seconds; each one given replaces the default. A second meter on the same registry and
   * prefix must give the same ones or none.
   */
  buckets?: Partial<Buckets>;
  /**
   * Cardinality limits (distinct models, distinct values per user label, value length, distinct label sets).
   * A second meter on the same registry and prefix must give the same ones or none.
   */
  limits?: CardinalityLimits;
  /** Prices: a {@link PriceBook}, or overrides added to the bundled prices. */
  prices?: PriceBook | PriceOverrides;
  /**
   * Spending budgets, exported as `*_budget_usd` and `*_budget_spent_usd` (spend in the current UTC day, ISO week
   * or month) with the budget's labels and `period`. A budget's labels must be ones calls carry: `provider`,
   * `model`, `operation` or a name of `labelNames`. Only the first meter on a registry and prefix sets them.
   */
  budgets?: readonly Budget[];
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

/** The metrics not written from the per-call series: rate limits and the proxy's own work. */
type OwnKey =
  | 'budget'
  | 'budgetSpent'
  | 'rateLimitLimit'
  | 'rateLimitRemaining'
  | 'rateLimitReset'
  | 'proxyRefused'
  | 'upstreamConnectionErrors'
  | 'proxyOverhead';
type HistogramKey = Exclude<MetricKeyOfType<'histogram'>, OwnKey>;
type CounterKey = Exclude<MetricKeyOfType<'counter'>, OwnKey>;

/** The metrics of {@link OwnKey}, each written directly. */
interface OwnMetrics {
  budget: Gauge;
  budgetSpent: Gauge;
  rateLimitLimit: Gauge;
  rateLimitRemaining: Gauge;
  rateLimitReset: Gauge;
  proxyRefused: Counter;
  upstreamConnectionErrors: Counter;
  proxyOverhead: MeterHistogram;
}

/** Where one provider's proxy overhead is observed (see {@link MeterHistogram.observeIn}). */
interface OverheadSeries {
  slots: (HistogramSlot | undefined)[];
  labels: SeriesLabels;
}

interface MeterMetrics {
  labelNames: readonly string[];
  /** The bucket bounds the histograms were built with. */
  buckets: Buckets;
  histograms: Record<HistogramKey, MeterHistogram>;
  own: OwnMetrics;
  /** The budgets, and what each spent in its period; undefined when there are none. */
  budgets: BudgetTracker | undefined;
  guard: CardinalityGuard;
  /** Every label set seen, by a key of its values; bounded by the guard and the series budget. */
  series: Map<string, Series>;
  /** Label sets admitted under the series budget (the overflow label sets are not counted). */
  admitted: number;
  /** The latest rate limits reported, which the `*_ratelimit_*` gauges show. */
  rateLimits: RateLimitBook;
  /** The proxy overhead histogram's series, by provider label (as many as the guard admits providers). */
  overheadSeries: Map<string, OverheadSeries>;
  /** Set to a new {@link nextVersion} by every change to the metrics' values: a call started or recorded, a reset. */
  version: number;
}

// One sequence for every meter of the process: a version is never reused, not even by the metrics of a meter
// built anew on a registry that was cleared, so an equal version always means "nothing changed".
let lastVersion = 0;
function nextVersion(): number {
  return ++lastVersion;
}

/** The series a call is recorded in, and whether its own label set was folded into an overflow one. */
interface SeriesChoice {
  series: Series;
  folded: boolean;
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
    private readonly folded: boolean,
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
    let { series, folded } = this;
    let model = this.start.model;
    // A poll of an OpenAI response this process did not see created names no model in its request: the
    // response itself names it, so the call joins that model's series rather than `unknown`.
    if (model === '' && this.start.operation === 'responses' && outcome.responseModel) {
      model = outcome.responseModel;
      ({ series, folded } = this.meter.seriesOf(this.start.provider, model, this.start.operation, this.start.labels));
    }
    this.meter.write(
      {
        provider: this.start.provider,
        operation: this.start.operation,
        model,
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
      series,
      folded,
    );
    return true;
  }
}

/**
 * The recorder: the only part of llmeter that touches prom-client. Turns {@link CallRecord}s into the metrics of
 * the contract (`metric-contract.ts`, documented in the README) on one registry. Recording never throws: failures
 * go to `onError`.
 *
 * `registry.resetMetrics()` sets every counter and histogram back to 0 (counters and histograms then count the
 * same calls); it leaves the in-flight gauge alone, since the calls under way still are and end later.
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
    this.onError = errorReporter(options.onError);
    this.metrics = metricsFor(this.registry, options);
  }

  /** The user label names this meter's metrics carry. */
  get labelNames(): readonly string[] {
    return this.metrics.labelNames;
  }

  /** Starts a call: it counts as in flight until {@link InFlightCall.end}. */
  start(call: CallStart): InFlightCall {
    const { series, folded } = this.series(call.provider, call.model, call.operation, call.labels);
    series.inFlight++;
    this.metrics.version = nextVersion();
    return new InFlightCall(this, call, series, folded);
  }

  /** @internal The series a call with these labels is recorded in (under the cardinality guard and series budget). */
  seriesOf(provider: string, model: string, operation: Operation, labels: Labels | undefined): SeriesChoice {
    return this.series(provider, model, operation, labels);
  }

  /** Records a call that was not started with {@link Meter.start} (no in-flight tracking). */
  record(record: CallRecord): void {
    const { series, folded } = this.series(record.provider, record.model, record.operation, record.labels);
    this.write(record, series, folded);
  }

  /** @internal Adds one finished call to its series; called once per call. */
  write(record: CallRecord, series: Series, folded: boolean): void {
    this.metrics.version = nextVersion();
    series.changed = this.metrics.version;
    if (folded) series.folded++;
    try {
      const { duration, timeToFirstToken, timePerOutputToken } = this.metrics.histograms;
      const durationSeconds = Math.max(0, record.endedAt - record.startedAt) / 1000;
      if (record.errorType) {
        series.error++;
        series.fail(record.errorType);
        duration.observeIn(series.histogramSlots, HISTOGRAM_SLOT.durationError, series.errorLabels, durationSeconds);
      } else {
        series.ok++;
        duration.observeIn(series.histogramSlots, HISTOGRAM_SLOT.durationOk, series.okLabels, durationSeconds);
      }
      const ttftSeconds =
        record.stream && record.firstTokenAt !== undefined
          ? Math.max(0, record.firstTokenAt - record.startedAt) / 1000
          : undefined;
      if (ttftSeconds !== undefined) {
        timeToFirstToken.observeIn(series.histogramSlots, HISTOGRAM_SLOT.timeToFirstToken, series.labels, ttftSeconds);
      }

      const usage = record.usage;
      if (!usage) {
        // A call that succeeded but says nothing of its tokens: its cost would read 0. Count it, never guess the
        // output it did not show. (Other operations — model lists, files — have no usage to report.)
        // A `deferred` call's usage is another call's to record (a background response's poll, say).
        if (!record.errorType && record.operation !== 'other' && record.usageSource !== 'deferred') {
          series.usageMissing++;
        }
        return;
      }
      series.withUsage++;
      if (record.usageSource === 'estimated') series.estimated++;
      const tokens = series.tokens;
      for (let i = 0; i < TOKEN_TYPES.length; i++) {
        const field = TOKEN_TYPES[i]?.[1];
        if (field !== undefined) tokens[i] = (tokens[i] ?? 0) + usage[field];
      }
      const toolCalls = usage.serverToolCalls;
      if (toolCalls !== undefined) {
        for (let i = 0; i < SERVER_TOOLS.length; i++) {
          const count = toolCalls[SERVER_TOOLS[i] as ServerTool];
          if (count !== undefined && count > 0) series.serverToolCalls[i] = (series.serverToolCalls[i] ?? 0) + count;
        }
      }
      // Sub-inferences (Anthropic's advisor) are tokens the call was billed for, at another model's price.
      for (const sub of usage.subCalls ?? []) {
        for (let i = 0; i < TOKEN_TYPES.length; i++) {
          const field = TOKEN_TYPES[i]?.[1];
          if (field !== undefined) tokens[i] = (tokens[i] ?? 0) + sub.usage[field];
        }
      }
      if (ttftSeconds !== undefined && usage.output > 1) {
        timePerOutputToken.observeIn(
          series.histogramSlots,
          HISTOGRAM_SLOT.timePerOutputToken,
          series.labels,
          Math.max(0, durationSeconds - ttftSeconds) / (usage.output - 1),
        );
      }
      if (usage.input + usage.output === 0) return;
      const pricedModel = record.responseModel || record.model;
      const cost = this.prices.cost(record.provider, pricedModel, usage);
      if (cost === undefined) {
        series.unpriced++;
      } else {
        series.priced++;
        series.cost += cost;
        // A tier with no price of its own was charged the standard price: say how many calls that was.
        const tier = usage.serviceTier;
        if (tier !== undefined && !this.prices.pricesTier(record.provider, pricedModel, tier)) {
          const index = TIER_INDEX.get(tier) ?? OTHER_TIER_INDEX;
          series.unpricedTiers[index] = (series.unpricedTiers[index] ?? 0) + 1;
        }
        this.metrics.budgets?.spend(
          { provider: record.provider, model: record.model, operation: record.operation, ...record.labels },
          cost,
        );
      }
    } catch (error) {
      this.reportError(error);
    }
  }

  private series(provider: string, model: string, operation: Operation, labels: Labels | undefined): SeriesChoice {
    const metrics = this.metrics;
    const { guard, labelNames, series } = metrics;
    const providerValue = guard.admit('provider', provider || UNKNOWN_LABEL_VALUE);
    const modelValue = guard.admit('model', model || UNKNOWN_LABEL_VALUE);
    let key = `${providerValue}\u0000${modelValue}\u0000${operation}`;
    const values: string[] = [];
    for (const name of labelNames) {
      const value = labels?.[name];
      const admitted = value ? guard.admit(name, value) : '';
      values.push(admitted);
      key += `\u0000${admitted}`;
    }
    const found = series.get(key);
    if (found !== undefined) return { series: found, folded: false };
    if (metrics.admitted < guard.limits.series) {
      metrics.admitted++;
      return {
        series: newSeries(series, key, providerValue, modelValue, operation, labelNames, values),
        folded: false,
      };
    }
    // The budget is full: a new combination joins its provider's and operation's overflow label set. The
    // combination itself is not stored, so a flood of them costs a lookup each and no memory.
    let overflowKey = `${providerValue}\u0000${OVERFLOW_LABEL_VALUE}\u0000${operation}`;
    for (let i = 0; i < labelNames.length; i++) overflowKey += `\u0000${OVERFLOW_LABEL_VALUE}`;
    const overflow =
      series.get(overflowKey) ??
      newSeries(
        series,
        overflowKey,
        providerValue,
        OVERFLOW_LABEL_VALUE,
        operation,
        labelNames,
        labelNames.map(() => OVERFLOW_LABEL_VALUE),
      );
    return { series: overflow, folded: true };
  }

  /**
   * Sets the `*_ratelimit_*` gauges from a response's rate-limit headers (OpenAI's `x-ratelimit-*`, Anthropic's
   * `anthropic-ratelimit-*`), per provider, model (the model the request named, under the cardinality guard)
   * and resource. A response without them changes nothing; each gauge keeps the latest value reported.
   *
   * @example
   * ```ts
   * meter.observeRateLimits('openai', 'gpt-4o', (name) => response.headers.get(name) ?? undefined);
   * ```
   */
  observeRateLimits(provider: string, model: string, header: HeaderLookup, now: number = Date.now()): void {
    try {
      // Kept in a book that the gauges are written from when a scrape reads them: a call costs some header
      // lookups and string comparisons, not six label hashes and parses.
      const { guard, rateLimits } = this.metrics;
      const providerValue = guard.admit('provider', provider || UNKNOWN_LABEL_VALUE);
      const modelValue = guard.admit('model', model || UNKNOWN_LABEL_VALUE);
      if (rateLimits.observe(providerValue, modelValue, header, now)) this.metrics.version = nextVersion();
    } catch (error) {
      this.reportError(error);
    }
  }

  /** Counts a request the proxy answered itself, without calling an upstream (`*_proxy_refused_total`). */
  refused(reason: RefusalReason): void {
    try {
      this.metrics.own.proxyRefused.inc({ reason });
      this.metrics.version = nextVersion();
    } catch (error) {
      this.reportError(error);
    }
  }

  /** Counts a call whose upstream could not be reached (`*_proxy_upstream_connection_errors_total`). */
  upstreamConnectionError(provider: string): void {
    try {
      const { guard, own } = this.metrics;
      own.upstreamConnectionErrors.inc({ provider: guard.admit('provider', provider || UNKNOWN_LABEL_VALUE) });
      this.metrics.version = nextVersion();
    } catch (error) {
      this.reportError(error);
    }
  }

  /** Observes the time the proxy's own work added to one call, in seconds (`*_proxy_overhead_seconds`). */
  observeProxyOverhead(provider: string, seconds: number): void {
    try {
      const { guard, own, overheadSeries } = this.metrics;
      const label = guard.admit('provider', provider || UNKNOWN_LABEL_VALUE);
      let one = overheadSeries.get(label);
      if (one === undefined) {
        one = { slots: [], labels: { provider: label } };
        overheadSeries.set(label, one);
      }
      // Every proxied call is observed here: through its series' slot, not prom-client's lookup by labels.
      own.proxyOverhead.observeIn(one.slots, 0, one.labels, seconds);
      this.metrics.version = nextVersion();
    } catch (error) {
      this.reportError(error);
    }
  }

  private reportError(error: unknown): void {
    this.onError(error);
  }
}

/**
 * A number that changes whenever a meter changes the llmeter metrics on `registry` under `prefix`: a call
 * started or recorded, a reset. Reading the metrics costs time in proportion to their series; this costs a map
 * lookup, so a reader that samples them (the dashboard's history) can tell that nothing changed without reading.
 * Undefined when no meter records on that registry and prefix (metrics from elsewhere): then only reading tells.
 *
 * @example
 * ```ts
 * import { createMeter, metricsVersion } from '@llmeter/core';
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * const meter = createMeter({ registry });
 * const before = metricsVersion(registry);
 * meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false }).end();
 * metricsVersion(registry) !== before; // true
 * ```
 */
export function metricsVersion(registry: Registry, prefix: string = DEFAULT_PREFIX): number | undefined {
  const metrics = metricsByRegistry.get(registry)?.get(prefix);
  // A registry that was cleared no longer holds these metrics: what it holds now is not theirs.
  if (metrics === undefined || registry.getSingleMetric(metricName('duration', prefix)) !== metrics.histograms.duration)
    return undefined;
  return metrics.version;
}

/** Creates and stores the series of one label set. */
function newSeries(
  series: Map<string, Series>,
  key: string,
  provider: string,
  model: string,
  operation: Operation,
  labelNames: readonly string[],
  values: readonly string[],
): Series {
  const seriesLabels: Record<string, string> = { provider, model, operation } satisfies Record<CommonLabelName, string>;
  labelNames.forEach((name, index) => {
    seriesLabels[name] = values[index] ?? '';
  });
  const made = new Series(seriesLabels);
  series.set(key, made);
  return made;
}

/**
 * Builds a {@link Meter}. A second meter on the same registry and prefix shares the first one's metrics; it
 * throws a {@link MeterConfigError} if it asks for a label name, buckets or cardinality limits the shared
 * metrics do not have (options it leaves unset take the first meter's).
 *
 * @example
 * ```ts
 * import { createMeter } from '@llmeter/core';
 * const meter = createMeter({ labelNames: ['team'] });
 * const call = meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false });
 * call.end({ usage: { input: 12, output: 3, cachedInput: 0, cacheWrite: 0, reasoning: 0 } });
 * ```
 */
export function createMeter(options: MeterOptions = {}): Meter {
  return new Meter(options);
}

/**
 * Writes one sample of a series: its `slot` (the same sample of the same series has the same slot on every
 * collect), its value, and the extra label it has beside the series' labels, if any.
 */
type SampleWriter = (slot: number, value: number, extraName?: string, extraValue?: string) => void;

/** How a counter reads the series totals: `fill` writes one series' samples, `clear` zeroes what it reads. */
interface CounterSource {
  fill(write: SampleWriter, series: Series): void;
  clear(series: Series): void;
}

/** A counter with one sample per series, present once the series has counted a call of its kind. */
function perSeries(
  calls: (series: Series) => number,
  value: (series: Series) => number,
  clear: (series: Series) => void,
): CounterSource {
  return {
    fill(write, one) {
      if (calls(one) > 0) write(0, value(one));
    },
    clear,
  };
}

/** A counter with a sample per index of a series' `counts` above 0, labelled `name` with the index's value. */
function byIndex(
  name: keyof ExtraLabels,
  values: readonly string[],
  counts: (series: Series) => Float64Array,
): CounterSource {
  return {
    fill(write, one) {
      const of = counts(one);
      for (let i = 0; i < of.length; i++) {
        const count = of[i] as number;
        if (count > 0) write(i, count, name, values[i] ?? 'other');
      }
    },
    clear(one) {
      counts(one).fill(0);
    },
  };
}

// Every counter of the contract, and how it is written from the series totals. Keyed by the contract, so that
// a counter added there does not compile until it is written here.
const COUNTER_SOURCES: Record<CounterKey, CounterSource> = {
  requests: {
    fill(write, one) {
      if (one.ok > 0) write(0, one.ok, 'status', 'ok');
      if (one.error > 0) write(1, one.error, 'status', 'error');
    },
    clear(one) {
      one.ok = 0;
      one.error = 0;
    },
  },
  failures: byIndex('error_type', ERROR_TYPES, (one) => one.failures),
  tokens: {
    fill(write, one) {
      if (one.withUsage === 0) return;
      const tokens = one.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const count = tokens[i] as number;
        // Input and output always get a series, so that rate() over them exists from the first call.
        if (count > 0 || i < 2) write(i, count, 'type', TOKEN_TYPES[i]?.[0] ?? 'input');
      }
    },
    clear(one) {
      one.tokens.fill(0);
      one.withUsage = 0;
    },
  },
  cost: perSeries(
    (one) => one.priced,
    (one) => one.cost,
    (one) => {
      one.priced = 0;
      one.cost = 0;
    },
  ),
  unpriced: perSeries(
    (one) => one.unpriced,
    (one) => one.unpriced,
    (one) => {
      one.unpriced = 0;
    },
  ),
  estimated: perSeries(
    (one) => one.estimated,
    (one) => one.estimated,
    (one) => {
      one.estimated = 0;
    },
  ),
  usageMissing: perSeries(
    (one) => one.usageMissing,
    (one) => one.usageMissing,
    (one) => {
      one.usageMissing = 0;
    },
  ),
  serverToolCalls: byIndex('tool', SERVER_TOOLS, (one) => one.serverToolCalls),
  unpricedTier: byIndex('service_tier', SERVICE_TIERS, (one) => one.unpricedTiers),
  seriesOverflow: perSeries(
    (one) => one.folded,
    (one) => one.folded,
    (one) => {
      one.folded = 0;
    },
  ),
};

/** A counter's sample as prom-client keeps it (its `hashMap` values). */
interface ValueEntry {
  value: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** prom-client's fields of a counter written here: not in its typings, but what its own `inc` writes (15.x). */
interface CounterInternals {
  hashMap: Record<string, ValueEntry | undefined>;
  sortedLabelNames: readonly string[];
}

/** prom-client's key of a label set, as its `hashObject` builds it from the sorted label names. */
function promClientKey(sortedLabelNames: readonly string[], labels: Readonly<Record<string, string>>): string {
  let key = '';
  for (const name of sortedLabelNames) {
    const value = labels[name];
    if (value !== undefined) key += `${name}:${value},`;
  }
  return key;
}

/**
 * A counter whose values are the meter's per-series totals, written in when a scrape collects it. Resetting it
 * (`registry.resetMetrics()`, or `reset()` on the metric) zeroes the totals it reads: otherwise the next collect
 * would bring the old counts back while the histograms start again from 0.
 *
 * A collect rewrites only the series that recorded a call since the last one, into the samples prom-client
 * already holds for them: at the series budget a scrape then costs a pass over the series, not the building of
 * every sample anew. When a changed series has a sample it did not have before (a first error, a new token
 * type), every sample is written anew, so that they keep the order a collect from nothing gives them.
 */
class SeriesCounter extends Counter {
  // Undefined while prom-client's constructor runs: it calls reset() before this class sets its fields.
  private source:
    | {
        series: ReadonlyMap<string, Series>;
        counter: CounterSource;
        onReset: () => void;
        version: () => number;
      }
    | undefined;
  /** The samples written for each series, by slot; valid while `written` is. */
  private samples = new Map<Series, (ValueEntry | undefined)[]>();
  /** The metrics' version at the last collect; -1 when every sample is to be written anew. */
  private written = -1;
  /** prom-client's storage the samples are in: another one (a reset) is written anew. */
  private storage: unknown;

  constructor(
    config: { name: string; help: string; labelNames: readonly string[] },
    series: ReadonlyMap<string, Series>,
    counter: CounterSource,
    onReset: () => void,
    version: () => number,
  ) {
    super({ name: config.name, help: config.help, labelNames: [...config.labelNames], registers: [] });
    this.source = { series, counter, onReset, version };
  }

  /** Called by prom-client before it reads the values: rewrites them from the totals. */
  collect(): void {
    const source = this.source;
    if (!source) return;
    const since = this.written;
    this.written = source.version();
    const current = (this as unknown as CounterInternals).hashMap;
    if (since >= 0 && current === this.storage && this.update(source.series, source.counter, since)) return;
    this.rewrite(source.series, source.counter);
  }

  /** Writes the changed series into their samples; false when one has a sample it did not have. */
  private update(series: ReadonlyMap<string, Series>, counter: CounterSource, since: number): boolean {
    let complete = true;
    for (const one of series.values()) {
      if (one.changed <= since) continue;
      const samples = this.samples.get(one);
      counter.fill((slot, value) => {
        const sample = samples?.[slot];
        if (sample === undefined || !Number.isFinite(value) || value < sample.value) complete = false;
        else sample.value = value;
      }, one);
      if (!complete) return false;
    }
    return true;
  }

  /** Writes every sample anew, as prom-client's `inc` on an empty counter would. */
  private rewrite(series: ReadonlyMap<string, Series>, counter: CounterSource): void {
    super.reset();
    this.samples = new Map();
    const internals = this as unknown as CounterInternals;
    this.storage = internals.hashMap;
    for (const one of series.values()) {
      let samples: (ValueEntry | undefined)[] | undefined;
      counter.fill((slot, value, extraName, extraValue) => {
        const labels = extraName === undefined ? one.labels : { ...one.labels, [extraName]: extraValue ?? '' };
        // What prom-client's `inc` refuses (a value below 0, not a number) goes to it, which throws as always.
        if (!Number.isFinite(value) || value < 0) this.inc(labels, value);
        const key = promClientKey(internals.sortedLabelNames, labels);
        let sample = internals.hashMap[key];
        if (sample === undefined) {
          sample = { value, labels };
          internals.hashMap[key] = sample;
        } else {
          sample.value += value;
        }
        samples ??= [];
        samples[slot] = sample;
      }, one);
      if (samples !== undefined) this.samples.set(one, samples);
    }
  }

  override remove(...args: unknown[]): void {
    (super.remove as (...values: unknown[]) => void).apply(this, args);
    this.written = -1;
  }

  override reset(): void {
    super.reset();
    this.written = -1;
    if (!this.source) return;
    this.source.onReset();
    for (const one of this.source.series.values()) this.source.counter.clear(one);
  }
}

/**
 * The in-flight gauge, written from the series when a scrape collects it: a sample per series, each written into
 * the sample prom-client already holds for it (a series is never removed, so a new one's sample comes last, as
 * in a gauge written from nothing).
 */
class InFlightGauge extends Gauge {
  // Undefined while prom-client's constructor runs: it calls reset() before this class sets its fields.
  private source: ReadonlyMap<string, Series> | undefined;
  private samples = new Map<Series, ValueEntry>();
  /** prom-client's storage the samples are in: another one (a reset) is written anew. */
  private storage: unknown;

  constructor(
    config: { name: string; help: string; labelNames: readonly string[] },
    series: ReadonlyMap<string, Series>,
  ) {
    super({ name: config.name, help: config.help, labelNames: [...config.labelNames], registers: [] });
    this.source = series;
  }

  /** Called by prom-client before it reads the values: writes them from the series. */
  collect(): void {
    if (!this.source) return;
    const internals = this as unknown as CounterInternals;
    if (internals.hashMap !== this.storage) {
      super.reset();
      this.samples = new Map();
      this.storage = internals.hashMap;
    }
    for (const one of this.source.values()) {
      const sample = this.samples.get(one);
      if (sample !== undefined) {
        sample.value = one.inFlight;
        continue;
      }
      const made = { value: one.inFlight, labels: one.labels };
      internals.hashMap[promClientKey(internals.sortedLabelNames, one.labels)] = made;
      this.samples.set(one, made);
    }
  }

  override remove(...args: unknown[]): void {
    (super.remove as (...values: unknown[]) => void).apply(this, args);
    this.storage = undefined;
  }
}

/** prom-client's fields of a histogram read here: not in its typings, but what its own `observe` uses (15.x). */
interface HistogramInternals {
  hashMap: Record<string, HistogramEntry | undefined>;
  sortedLabelNames: readonly string[];
}

/**
 * A histogram whose reset counts as a change of the metrics (see {@link metricsVersion}), and which a series
 * observes into directly.
 *
 * prom-client's `observe(labels, value)` builds a string key from the labels and looks the series up by it on
 * every call, which costs more as the series grow in number (and `labels(...)` children do the same per call).
 * {@link MeterHistogram.observeIn} finds prom-client's entry for a series once, keeps it on the series, and adds
 * to it as prom-client's `observe` would: its storage, and so `registry.metrics()`, is the same.
 */
class MeterHistogram extends Histogram {
  // Undefined while prom-client's constructor runs: it calls reset() before this class sets its fields.
  private onReset: (() => void) | undefined;
  /** Changed whenever prom-client's storage may have lost or replaced an entry: slots of another are stale. */
  private generation = 0;
  /** The bucket bounds, and each one as the key of its count in an entry's `bucketValues`. */
  private readonly bounds: readonly number[];
  private readonly boundKeys: readonly string[];

  constructor(
    config: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] },
    onReset: () => void,
  ) {
    super({
      name: config.name,
      help: config.help,
      labelNames: [...config.labelNames],
      buckets: [...config.buckets],
      registers: [],
    });
    this.onReset = onReset;
    this.bounds = [...config.buckets];
    this.boundKeys = this.bounds.map(String);
  }

  /**
   * Observes `value` for the series whose entries `slots` keeps, at `index`, with these labels (the same labels
   * for the same slot every time). The first observation, and the first after a reset, goes through prom-client.
   */
  observeIn(slots: (HistogramSlot | undefined)[], index: number, labels: SeriesLabels, value: number): void {
    const slot = slots[index];
    // A value prom-client would refuse goes to prom-client, which throws as it always does.
    if (slot !== undefined && slot.generation === this.generation && Number.isFinite(value)) {
      const { entry } = slot;
      entry.sum += value;
      entry.count += 1;
      const bounds = this.bounds;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= (bounds[i] as number)) {
          const key = this.boundKeys[i] as string;
          entry.bucketValues[key] = (entry.bucketValues[key] ?? 0) + 1;
          break;
        }
      }
      return;
    }
    this.observe(labels, value);
    // prom-client's key of the labels, as its `hashObject` builds it. Had that changed, no entry is found here
    // and every observation keeps going through prom-client: slower, never wrong.
    const internals = this as unknown as HistogramInternals;
    const entry = internals.hashMap[promClientKey(internals.sortedLabelNames, labels)];
    if (entry !== undefined && typeof entry.count === 'number') {
      slots[index] = { entry, generation: this.generation };
    }
  }

  override reset(): void {
    super.reset();
    this.generation++;
    this.onReset?.();
  }

  override remove(...args: unknown[]): void {
    (super.remove as (...values: unknown[]) => void).apply(this, args);
    this.generation++;
  }

  override zero(labels: Parameters<Histogram['zero']>[0]): void {
    super.zero(labels);
    this.generation++;
  }
}

/** A rate-limit gauge, written from the meter's {@link RateLimitBook} when a scrape collects it. */
class RateLimitGauge extends Gauge {
  // Undefined while prom-client's constructor runs: it calls reset() before this class sets its fields.
  private source: { book: RateLimitBook; field: 'limit' | 'remaining' | 'reset' } | undefined;

  constructor(
    config: { name: string; help: string; labelNames: readonly string[]; aggregator: 'max' | 'min' },
    book: RateLimitBook,
    field: 'limit' | 'remaining' | 'reset',
  ) {
    super({ ...config, labelNames: [...config.labelNames], registers: [] });
    this.source = { book, field };
  }

  /** Called by prom-client before it reads the values: rewrites them from the book. */
  collect(): void {
    super.reset();
    if (!this.source) return;
    const { book, field } = this.source;
    for (const entry of book.entries) {
      const value = rateLimitValue(entry, field);
      if (value !== undefined) this.set(entry.labels, value);
    }
  }

  /** Resetting the gauge forgets what it shows, until a response reports it again. */
  override reset(): void {
    super.reset();
    this.source?.book.clear(this.source.field);
  }
}

function rateLimitValue(entry: RateLimitEntry, field: 'limit' | 'remaining' | 'reset'): number | undefined {
  if (field === 'limit') return entry.limit;
  return field === 'remaining' ? entry.remaining : entry.resetSeconds;
}

/** What a meter asks for that the shared metrics do not have; empty when it can share them. */
function configDifferences(existing: MeterMetrics, labelNames: readonly string[], options: MeterOptions): string[] {
  const differences: string[] = [];
  const missing = labelNames.filter((name) => !existing.labelNames.includes(name));
  if (missing.length > 0) {
    differences.push(
      `label(s) ${missing.join(', ')} not among labelNames [${existing.labelNames.join(', ')}] ` +
        '(declare every label name on the first meter)',
    );
  }
  for (const key of Object.keys(DEFAULT_BUCKETS) as (keyof Buckets)[]) {
    const bounds = options.buckets?.[key];
    const have = existing.buckets[key];
    if (bounds === undefined) continue;
    if (bounds.length !== have.length || bounds.some((bound, i) => bound !== have[i])) {
      differences.push(`buckets.${key} [${bounds.join(', ')}] instead of [${have.join(', ')}]`);
    }
  }
  const limits = resolveCardinalityLimits(options.limits);
  for (const key of Object.keys(DEFAULT_CARDINALITY_LIMITS) as (keyof CardinalityLimits)[]) {
    if (options.limits?.[key] === undefined) continue;
    if (limits[key] !== existing.guard.limits[key]) {
      differences.push(`limits.${key} ${limits[key]} instead of ${existing.guard.limits[key]}`);
    }
  }
  return differences;
}

const GAUGE_AGGREGATORS = {
  rateLimitLimit: 'max',
  rateLimitRemaining: 'min',
  rateLimitReset: 'max',
} as const;

function metricsFor(registry: Registry, options: MeterOptions): MeterMetrics {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
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
  if (existing && registry.getSingleMetric(metricName('duration', prefix)) === existing.histograms.duration) {
    const differences = configDifferences(existing, labelNames, options);
    if (differences.length > 0) {
      throw new MeterConfigError(
        `llmeter: the ${prefix}* metrics on this registry were created with another configuration, which a ` +
          `second meter shares; this one asks for ${differences.join('; ')}`,
      );
    }
    return existing;
  }
  const buckets: Buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
  let budgets: BudgetTracker | undefined;
  try {
    budgets =
      options.budgets && options.budgets.length > 0
        ? new BudgetTracker(options.budgets, ['provider', 'model', 'operation', ...labelNames])
        : undefined;
  } catch (error) {
    if (error instanceof BudgetConfigError) throw new MeterConfigError(error.message, { cause: error });
    throw error;
  }
  const series = new Map<string, Series>();
  const guard = new CardinalityGuard(options.limits);
  // A reset is a change the dashboard's sampler must see; `made` exists by the time anything is reset.
  const onReset = () => {
    made.version = nextVersion();
  };
  const labelsOf = (key: keyof typeof METRICS) => [...metricLabelNames(key), ...(hasUserLabels(key) ? labelNames : [])];
  const histogram = (key: HistogramKey | 'proxyOverhead') =>
    new MeterHistogram(
      {
        name: metricName(key, prefix),
        help: METRICS[key].help,
        labelNames: labelsOf(key),
        buckets: buckets[METRICS[key].buckets],
      },
      onReset,
    );
  const counter = (key: CounterKey) =>
    new SeriesCounter(
      { name: metricName(key, prefix), help: METRICS[key].help, labelNames: labelsOf(key) },
      series,
      COUNTER_SOURCES[key],
      onReset,
      () => made.version,
    );
  const rateLimits = new RateLimitBook();
  const made: MeterMetrics = {
    labelNames,
    buckets,
    guard,
    series,
    admitted: 0,
    rateLimits,
    overheadSeries: new Map(),
    version: nextVersion(),
    histograms: {
      duration: histogram('duration'),
      timeToFirstToken: histogram('timeToFirstToken'),
      timePerOutputToken: histogram('timePerOutputToken'),
    },
    budgets,
    own: {
      budget: budgetGauge('budget', (one) => one.budget.usd),
      budgetSpent: budgetGauge('budgetSpent', (one) => one.spent),
      rateLimitLimit: plainGauge('rateLimitLimit'),
      rateLimitRemaining: plainGauge('rateLimitRemaining'),
      rateLimitReset: plainGauge('rateLimitReset'),
      proxyRefused: plainCounter('proxyRefused'),
      upstreamConnectionErrors: plainCounter('upstreamConnectionErrors'),
      proxyOverhead: histogram('proxyOverhead'),
    },
  };
  // The gauge is the live count of calls under way, written from the series when a scrape collects it. A reset
  // leaves it alone: the calls are still running, and each takes itself off when it ends (never below 0).
  const inFlight = new InFlightGauge(
    { name: metricName('inFlight', prefix), help: METRICS.inFlight.help, labelNames: labelsOf('inFlight') },
    series,
  );
  // Background responses still to be seen finished, from the registry's response ledger, per provider and model
  // label (under the cardinality guard: at most as many series as distinct providers and models). Summed over
  // processes, counts add up.
  const backgroundPending = new Gauge({
    name: metricName('backgroundPending', prefix),
    help: METRICS.backgroundPending.help,
    labelNames: labelsOf('backgroundPending'),
    aggregator: 'sum',
    registers: [],
    collect(this: Gauge) {
      this.reset();
      const grouped = new Map<string, { provider: string; model: string; count: number }>();
      for (const pending of responseLedgerFor(registry).pending()) {
        const provider = guard.admit('provider', pending.provider || UNKNOWN_LABEL_VALUE);
        const model = guard.admit('model', pending.model || UNKNOWN_LABEL_VALUE);
        const key = `${provider}\u0000${model}`;
        const found = grouped.get(key);
        if (found === undefined) grouped.set(key, { provider, model, count: pending.count });
        else found.count += pending.count;
      }
      for (const { provider, model, count } of grouped.values()) this.set({ provider, model }, count);
    },
  });
  // Registered in the contract's order, which is the order of the exposition.
  const metrics = {
    requests: counter('requests'),
    failures: counter('failures'),
    duration: made.histograms.duration,
    timeToFirstToken: made.histograms.timeToFirstToken,
    timePerOutputToken: made.histograms.timePerOutputToken,
    tokens: counter('tokens'),
    cost: counter('cost'),
    unpriced: counter('unpriced'),
    estimated: counter('estimated'),
    usageMissing: counter('usageMissing'),
    serverToolCalls: counter('serverToolCalls'),
    unpricedTier: counter('unpricedTier'),
    seriesOverflow: counter('seriesOverflow'),
    inFlight,
    backgroundPending,
    ...made.own,
  } satisfies Record<keyof typeof METRICS, Counter | Gauge | Histogram>;
  for (const key of Object.keys(METRICS) as (keyof typeof METRICS)[]) {
    try {
      registry.registerMetric(metrics[key]);
    } catch (error) {
      throw new MeterConfigError(
        `llmeter: cannot register ${prefix}* metrics on this registry (another metric has the same name): ${String(error)}`,
        { cause: error },
      );
    }
  }
  byPrefix.set(prefix, made);
  return made;

  function plainGauge(key: 'rateLimitLimit' | 'rateLimitRemaining' | 'rateLimitReset'): Gauge {
    return new RateLimitGauge(
      {
        name: metricName(key, prefix),
        help: METRICS[key].help,
        labelNames: labelsOf(key),
        // Processes summed into one exposition (the proxy's workers) share the provider's limit: the least left
        // and the latest reset, not sums.
        aggregator: GAUGE_AGGREGATORS[key],
      },
      rateLimits,
      key === 'rateLimitLimit' ? 'limit' : key === 'rateLimitRemaining' ? 'remaining' : 'reset',
    );
  }
  // Written from the budgets when a scrape collects them; the spend of a period that ended reads 0.
  function budgetGauge(key: 'budget' | 'budgetSpent', value: (one: TrackedBudget) => number): Gauge {
    return new Gauge({
      name: metricName(key, prefix),
      help: METRICS[key].help,
      labelNames: [...(budgets?.labelNames ?? ['period'])],
      // Summed over processes, spend adds up; every process has the same budget.
      aggregator: key === 'budget' ? 'max' : 'sum',
      registers: [],
      collect(this: Gauge) {
        this.reset();
        const now = Date.now();
        for (const one of budgets?.tracked ?? []) {
          budgets?.roll(one, now);
          this.set(one.labels, value(one));
        }
      },
    });
  }
  function plainCounter(key: 'proxyRefused' | 'upstreamConnectionErrors'): Counter {
    return new Counter({
      name: metricName(key, prefix),
      help: METRICS[key].help,
      labelNames: labelsOf(key),
      registers: [],
    });
  }
}
