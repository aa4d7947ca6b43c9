import {
  CONTRACT_LABEL_NAMES,
  DEFAULT_PREFIX,
  type HistogramBucket,
  type HistogramValue,
  histogramQuantile,
  type LabelFilter,
  type MetricsSnapshot,
  matchesFilter,
  metricsVersion,
  OVERFLOW_LABEL_VALUE,
  readMetricsSnapshot,
  type SeriesLabels,
  type SeriesValue,
  seriesKey,
  TOKEN_TYPES,
  userLabels,
} from '@llmeter/core';
import type { Registry } from 'prom-client';

/** How a {@link MetricsHistory} samples and how much it keeps. */
export interface MetricsHistoryOptions {
  /** Time between samples. Default 5 000 ms. */
  intervalMs?: number;
  /** How far back samples are kept. Default one hour. */
  retentionMs?: number;
  /** Prefix of the llmeter metrics on the registry. Default `llm_`. */
  prefix?: string;
  /**
   * Most distinct (provider, model, user labels) groups kept apart; later ones are summed into one group whose
   * provider and model are `other`. Default 2 000 (the cardinality guard allows 200 models).
   */
  maxGroups?: number;
}

/** One line of a chart: a value per sample, `null` where there is nothing to show. */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

/** What to chart, and how. */
export interface HistoryQuery {
  filter?: LabelFilter;
  /** Models charted one by one (the most expensive, then the most requested); the others are summed as `other`. */
  topN?: number;
  /** Width of the rolling window of quantiles and error ratios. Default 60 s (at least one sample). */
  windowMs?: number;
}

/** The charts of the dashboard, over the retained samples of the series that pass the filter. */
export interface HistoryView {
  intervalSeconds: number;
  windowSeconds: number;
  /** Sample times, Unix seconds, oldest first; every series has one value per timestamp. */
  timestamps: number[];
  /** Cumulative USD since the oldest sample: the top models, `other`, and `total`. */
  spend: ChartSeries[];
  /** Tokens per second by `type`. */
  tokensPerSecond: ChartSeries[];
  /** Calls per second: the top models, `other`, and `total`. */
  requestsPerSecond: ChartSeries[];
  /** Failed calls / calls over the rolling window, by `error_type`. */
  errorRatio: ChartSeries[];
  /** p50, p95 and p99 of the call duration over the rolling window, in seconds. */
  latency: ChartSeries[];
  /** p95 of the call duration per top model. */
  latencyByModel: ChartSeries[];
  /** p50, p95 and p99 of the time to first token over the rolling window, in seconds. */
  timeToFirstToken: ChartSeries[];
  /** p95 of the time to first token per top model. */
  timeToFirstTokenByModel: ChartSeries[];
  /** Calls under way at each sample. */
  inFlight: ChartSeries[];
  /** Calls per second whose model has no known price, by model. */
  unpricedPerSecond: ChartSeries[];
}

interface Group {
  readonly labels: SeriesLabels;
  /** `provider` and `model`, the unit charts are split by. */
  readonly modelKey: string;
  /** Per field: per-interval increases (the in-flight gauge: its value), one slot per sample, allocated lazily. */
  readonly rings: Map<string, Float32Array>;
  /** Per field: the cumulative value at the last sample, to take increases from. */
  readonly last: Map<string, number>;
}

const IN_FLIGHT = 'inflight';
const OVERFLOW = OVERFLOW_LABEL_VALUE;
const OVERFLOW_MODEL_KEY = `${OVERFLOW}\u0000${OVERFLOW}`;
const TOKEN_TYPE_ORDER: readonly string[] = TOKEN_TYPES.map(([type]) => type);
const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

/**
 * A bounded in-memory history of a registry's llmeter metrics, so the dashboard needs no Prometheus.
 *
 * Every `intervalMs` it reads the metrics and keeps, per (provider, model, user labels) group rather than per
 * full label set (operation, status and token type are summed away), the increase of each counter since the
 * previous sample, each histogram bucket's increase, and the in-flight gauge. Each of those is a ring buffer of
 * `retentionMs / intervalMs` 32-bit slots, allocated only once the field is first non-zero: with the defaults,
 * 720 slots, about 2.9 kB per field, some 20 to 40 fields per busy group — 200 busy models take about 20 MB.
 * Exact totals are not kept here; they come from the registry itself.
 */
export class MetricsHistory {
  readonly intervalMs: number;
  /** Samples kept. */
  readonly capacity: number;
  readonly prefix: string;
  private readonly maxGroups: number;
  private readonly groups = new Map<string, Group>();
  /** Groups by a key of the labels in the order they come, which is the same for every sample of a meter. */
  private readonly groupsByQuickKey = new Map<string, Group>();
  private readonly timestamps: Float64Array;
  private head = 0;
  private count = 0;
  private taken = 0;
  private durationBounds: number[] = [];
  private ttftBounds: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  /** The meter's {@link metricsVersion} when the registry was last read; undefined without a meter. */
  private readVersion: number | undefined;
  private registryReads = 0;
  /** The last snapshot {@link MetricsHistory.snapshot} read, and the meter's version then. */
  private lastSnapshot: { version: number; snapshot: Promise<MetricsSnapshot> } | undefined;

  constructor(
    /** The registry sampled. */
    readonly registry: Registry,
    options: MetricsHistoryOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    const retentionMs = options.retentionMs ?? 3_600_000;
    if (!(this.intervalMs > 0) || !(retentionMs >= this.intervalMs)) {
      throw new RangeError('MetricsHistory: intervalMs must be above 0 and retentionMs at least intervalMs');
    }
    this.capacity = Math.ceil(retentionMs / this.intervalMs);
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.maxGroups = Math.max(1, options.maxGroups ?? 2000);
    this.timestamps = new Float64Array(this.capacity);
  }

  /** Samples now, then every `intervalMs`, until {@link MetricsHistory.stop}. The timer does not keep Node alive. */
  start(): void {
    if (this.timer) return;
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; what was sampled stays queryable. Waits for a sample under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** Samples held (at most {@link MetricsHistory.capacity}). */
  get size(): number {
    return this.count;
  }

  /** Groups tracked (at most `maxGroups`, plus the overflow group). */
  get groupCount(): number {
    return this.groups.size;
  }

  /**
   * Samples that read the registry. A sample of a registry a meter has not changed since the last read (the
   * meter's {@link metricsVersion} says so) records no increase without reading it: idle costs almost nothing.
   */
  get reads(): number {
    return this.registryReads;
  }

  /**
   * The registry's llmeter metrics now, for exact totals: read again only when the meter recording on the
   * registry changed them since the last call (without a meter, read every time), so a dashboard page that
   * polls an idle registry costs no read.
   */
  snapshot(): Promise<MetricsSnapshot> {
    const version = metricsVersion(this.registry, this.prefix);
    if (version !== undefined && this.lastSnapshot?.version === version) return this.lastSnapshot.snapshot;
    const snapshot = readMetricsSnapshot(this.registry, this.prefix);
    this.lastSnapshot = version === undefined ? undefined : { version, snapshot };
    // A failed read is not kept: the next call reads again.
    snapshot.catch(() => {
      if (this.lastSnapshot?.snapshot === snapshot) this.lastSnapshot = undefined;
    });
    return snapshot;
  }

  /** Ring buffers allocated, over every group: the history's memory is about this × capacity × 4 bytes. */
  get ringCount(): number {
    let rings = 0;
    for (const group of this.groups.values()) rings += group.rings.size;
    return rings;
  }

  /**
   * Reads the registry and appends one sample taken at `at` (ms since the epoch), overwriting the oldest when
   * full. The very first sample is a baseline: the metrics may predate the history, so it records no increase.
   * When the meter recording on the registry changed nothing since the last read, the sample is appended
   * without reading: no increase, the same calls in flight.
   */
  async sample(at: number = Date.now()): Promise<void> {
    // Taken before reading: a call recorded while the read is under way changes it, and the next sample reads.
    const version = metricsVersion(this.registry, this.prefix);
    if (version !== undefined && version === this.readVersion && this.taken > 0) {
      this.appendUnchanged(at);
      return;
    }
    const snapshot = await readMetricsSnapshot(this.registry, this.prefix);
    this.readVersion = version;
    this.registryReads += 1;
    const current = new Map<Group, Map<string, number>>();
    const add = (group: Group, field: string, value: number): void => {
      let fields = current.get(group);
      if (!fields) {
        fields = new Map();
        current.set(group, fields);
      }
      fields.set(field, (fields.get(field) ?? 0) + value);
    };
    const addAll = (series: readonly SeriesValue[], field: (labels: SeriesLabels) => string): void => {
      for (const { labels, value } of series) add(this.groupFor(labels), field(labels), value);
    };
    addAll(snapshot.requests, (labels) => `req.${labels.status === 'error' ? 'error' : 'ok'}`);
    addAll(snapshot.failures, (labels) => `fail.${labels.error_type ?? 'other'}`);
    addAll(snapshot.tokens, (labels) => `tok.${labels.type ?? 'other'}`);
    addAll(snapshot.cost, () => 'cost');
    addAll(snapshot.unpriced, () => 'unpriced');
    addAll(snapshot.estimated, () => 'estimated');
    addAll(snapshot.inFlight, () => IN_FLIGHT);
    const group = (labels: SeriesLabels) => this.groupFor(labels);
    this.durationBounds = addBuckets(snapshot.duration, 'dur', this.durationBounds, group, add);
    this.ttftBounds = addBuckets(snapshot.timeToFirstToken, 'ttft', this.ttftBounds, group, add);

    const slot = this.head;
    for (const group of this.groups.values()) for (const ring of group.rings.values()) ring[slot] = 0;
    const baseline = this.taken === 0;
    for (const [group, fields] of current) {
      for (const [field, value] of fields) {
        const previous = group.last.get(field) ?? 0;
        group.last.set(field, value);
        // A counter that went down was reset (a registry reset): all of its value is new.
        const point = field === IN_FLIGHT ? value : baseline ? 0 : value >= previous ? value - previous : value;
        if (point === 0) continue;
        let ring = group.rings.get(field);
        if (!ring) {
          ring = new Float32Array(this.capacity);
          group.rings.set(field, ring);
        }
        ring[slot] = point;
      }
    }
    this.advance(slot, at);
  }

  /** Appends a sample of metrics that did not change: no increase anywhere, the gauge as last read. */
  private appendUnchanged(at: number): void {
    const slot = this.head;
    for (const group of this.groups.values()) {
      for (const ring of group.rings.values()) ring[slot] = 0;
      const inFlight = group.last.get(IN_FLIGHT) ?? 0;
      const ring = group.rings.get(IN_FLIGHT);
      if (ring) ring[slot] = inFlight;
    }
    this.advance(slot, at);
  }

  private advance(slot: number, at: number): void {
    this.timestamps[slot] = at;
    this.head = (slot + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.taken += 1;
  }

  /** The dashboard's charts over the retained samples. */
  query(query: HistoryQuery = {}): HistoryView {
    const filter = query.filter ?? {};
    const n = this.count;
    const order = Array.from({ length: n }, (_, i) => (this.head - n + i + this.capacity) % this.capacity);
    const timestamps = order.map((slot) => (this.timestamps[slot] ?? 0) / 1000);
    // Seconds each sample covers: the time since the previous sample (the nominal interval for the first).
    const spans = timestamps.map((t, i) => {
      const previous = timestamps[i - 1];
      return previous === undefined || t <= previous ? this.intervalMs / 1000 : t - previous;
    });
    const windowSlots = Math.max(1, Math.round((query.windowMs ?? 60_000) / this.intervalMs));
    const selected = [...this.groups.values()].filter((group) => matchesFilter(group.labels, filter));
    const series = (groups: readonly Group[], field: string): Float64Array => {
      const values = new Float64Array(n);
      for (const group of groups) {
        const ring = group.rings.get(field);
        if (ring) for (let i = 0; i < n; i++) values[i] = (values[i] ?? 0) + (ring[order[i] ?? 0] ?? 0);
      }
      return values;
    };
    const fieldsOf = (prefix: string, order: readonly string[] = []): string[] => {
      const fields = new Set<string>();
      for (const group of selected)
        for (const field of group.rings.keys()) if (field.startsWith(prefix)) fields.add(field);
      // Known names in their usual order, then any other alphabetically.
      const rank = (field: string) => {
        const index = order.indexOf(field.slice(prefix.length));
        return index === -1 ? order.length : index;
      };
      return [...fields].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    };
    const perSecond = (values: Float64Array): (number | null)[] =>
      Array.from(values, (value, i) => round(value / (spans[i] ?? 1)));

    // Models ranked by spend, then by calls, over the retained samples; the top ones get their own lines.
    const byModel = new Map<string, Group[]>();
    for (const group of selected) {
      const groups = byModel.get(group.modelKey);
      if (groups) groups.push(group);
      else byModel.set(group.modelKey, [group]);
    }
    const totalOf = (groups: readonly Group[], field: string) => series(groups, field).reduce((a, b) => a + b, 0);
    const ranked = [...byModel.entries()]
      .map(([key, groups]) => ({
        key,
        groups,
        cost: totalOf(groups, 'cost'),
        calls: totalOf(groups, 'req.ok') + totalOf(groups, 'req.error'),
      }))
      .sort((a, b) => b.cost - a.cost || b.calls - a.calls || a.key.localeCompare(b.key));
    // A model served by several providers (openai and azure, say) is told apart by its provider.
    const providersPerModel = new Map<string, number>();
    for (const { key } of ranked) {
      const model = modelOf(key);
      providersPerModel.set(model, (providersPerModel.get(model) ?? 0) + 1);
    }
    const displayName = (key: string): string =>
      (providersPerModel.get(modelOf(key)) ?? 0) > 1 ? key.replace('\u0000', '/') : modelOf(key);
    const topN = Math.max(0, query.topN ?? 8);
    // The overflow group is many models summed: never a line of its own, always part of `other`.
    const own = ranked.filter((model) => model.key !== OVERFLOW_MODEL_KEY);
    const top = own.slice(0, topN);
    const rest = ranked.filter((model) => !top.includes(model)).flatMap((model) => model.groups);
    const splitByModel = (
      line: (groups: readonly Group[]) => (number | null)[],
      withTotal: boolean,
      keep: (model: (typeof ranked)[number]) => boolean = () => true,
    ): ChartSeries[] => {
      const lines = top.filter(keep).map((model) => ({ name: displayName(model.key), values: line(model.groups) }));
      if (rest.length > 0) lines.push({ name: OVERFLOW, values: line(rest) });
      if (withTotal) lines.push({ name: 'total', values: line(selected) });
      return lines;
    };

    const cumulative = (values: Float64Array): (number | null)[] => {
      let sum = 0;
      return Array.from(values, (value) => {
        sum += value;
        return round(sum);
      });
    };
    const calls = (groups: readonly Group[]): Float64Array =>
      addArrays(series(groups, 'req.ok'), series(groups, 'req.error'));
    const allCalls = rolling(calls(selected), windowSlots);
    const quantileLines = (groups: readonly Group[], prefix: string, bounds: readonly number[]) => {
      const buckets = bounds.map((_, b) => rolling(series(groups, `${prefix}.${b}`), windowSlots));
      return (q: number): (number | null)[] =>
        Array.from({ length: n }, (_, i) => {
          let count = 0;
          const cumulativeBuckets: HistogramBucket[] = bounds.map((le, b) => {
            count += buckets[b]?.[i] ?? 0;
            return { le, count };
          });
          const value = histogramQuantile(q, cumulativeBuckets);
          return Number.isFinite(value) ? round(value) : null;
        });
    };
    const quantiles = (prefix: string, bounds: readonly number[]): ChartSeries[] => {
      const of = quantileLines(selected, prefix, bounds);
      return QUANTILES.map(([name, q]) => ({ name, values: of(q) }));
    };
    const p95ByModel = (prefix: string, bounds: readonly number[]): ChartSeries[] =>
      splitByModel((groups) => quantileLines(groups, prefix, bounds)(0.95), false);

    return {
      intervalSeconds: this.intervalMs / 1000,
      windowSeconds: (windowSlots * this.intervalMs) / 1000,
      timestamps,
      spend: splitByModel((groups) => cumulative(series(groups, 'cost')), true),
      tokensPerSecond: fieldsOf('tok.', TOKEN_TYPE_ORDER).map((field) => ({
        name: field.slice('tok.'.length),
        values: perSecond(series(selected, field)),
      })),
      requestsPerSecond: splitByModel((groups) => perSecond(calls(groups)), true),
      errorRatio: fieldsOf('fail.').map((field) => {
        const failures = rolling(series(selected, field), windowSlots);
        return {
          name: field.slice('fail.'.length),
          values: Array.from(failures, (value, i) => {
            const total = allCalls[i] ?? 0;
            return total > 0 ? round(value / total) : null;
          }),
        };
      }),
      latency: quantiles('dur', this.durationBounds),
      latencyByModel: p95ByModel('dur', this.durationBounds),
      timeToFirstToken: quantiles('ttft', this.ttftBounds),
      timeToFirstTokenByModel: p95ByModel('ttft', this.ttftBounds),
      inFlight: [{ name: 'in flight', values: Array.from(series(selected, IN_FLIGHT), round) }],
      unpricedPerSecond: own
        .filter((model) => totalOf(model.groups, 'unpriced') > 0)
        .slice(0, topN)
        .map((model) => ({ name: displayName(model.key), values: perSecond(series(model.groups, 'unpriced')) })),
    };
  }

  private async sampleOnce(): Promise<void> {
    // A slow read must not overlap the next one.
    if (this.sampling) return;
    this.sampling = this.sample()
      .catch(() => {
        // A failed read (a metric swapped under it) loses one sample; the next one catches up.
      })
      .finally(() => {
        this.sampling = undefined;
      });
    await this.sampling;
  }

  private groupFor(labels: SeriesLabels): Group {
    // A label set's group is found by a key of its labels as they come (one string, no sort), and only a label
    // set not seen before pays for the canonical key.
    let quick = '';
    for (const name in labels) {
      if (name === 'provider' || name === 'model' || !CONTRACT_LABEL_NAMES.has(name)) {
        quick += `${name}\u0001${labels[name]}\u0000`;
      }
    }
    const known = this.groupsByQuickKey.get(quick);
    if (known) return known;
    const group = this.findGroup(labels);
    // Bounded like the groups: label sets beyond them all go to the overflow group.
    if (this.groupsByQuickKey.size >= this.maxGroups * 4) this.groupsByQuickKey.clear();
    this.groupsByQuickKey.set(quick, group);
    return group;
  }

  private findGroup(labels: SeriesLabels): Group {
    const own = { provider: labels.provider ?? '', model: labels.model ?? '', ...userLabels(labels) };
    const key = seriesKey(own);
    const existing = this.groups.get(key);
    if (existing) return existing;
    if (this.groups.size >= this.maxGroups) {
      const overflow = this.groups.get(OVERFLOW);
      if (overflow) return overflow;
      return this.newGroup(OVERFLOW, { provider: OVERFLOW, model: OVERFLOW });
    }
    return this.newGroup(key, own);
  }

  private newGroup(key: string, labels: SeriesLabels): Group {
    const group: Group = {
      labels,
      modelKey: `${labels.provider ?? ''}\u0000${labels.model ?? ''}`,
      rings: new Map(),
      last: new Map(),
    };
    this.groups.set(key, group);
    return group;
  }
}

/**
 * Adds each histogram's per-bucket counts (not cumulative: bucket b counts the observations above bound b−1 and
 * at most bound b) as fields `prefix.b`. Returns the bounds, taken from the first histogram seen.
 */
function addBuckets<G>(
  histograms: readonly HistogramValue[],
  prefix: string,
  known: number[],
  groupFor: (labels: SeriesLabels) => G,
  add: (group: G, field: string, value: number) => void,
): number[] {
  let bounds = known;
  const fields = bounds.map((_, b) => `${prefix}.${b}`);
  for (const { labels, buckets } of histograms) {
    if (bounds.length === 0) {
      bounds = buckets.map((bucket) => bucket.le);
      fields.push(...bounds.map((_, b) => `${prefix}.${b}`));
    }
    if (buckets.length !== bounds.length) continue;
    const group = groupFor(labels);
    let below = 0;
    buckets.forEach((bucket, b) => {
      add(group, fields[b] ?? `${prefix}.${b}`, bucket.count - below);
      below = bucket.count;
    });
  }
  return bounds;
}

/** Sums over the last `width` entries, at each entry. */
function rolling(values: Float64Array, width: number): Float64Array {
  const result = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] ?? 0;
    if (i >= width) sum -= values[i - width] ?? 0;
    result[i] = sum;
  }
  return result;
}

function addArrays(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((value, i) => value + (b[i] ?? 0));
}

function modelOf(modelKey: string): string {
  return modelKey.slice(modelKey.indexOf('\u0000') + 1);
}

// Six significant digits: plenty for a chart, and a third of the JSON of full doubles.
function round(value: number): number {
  return Number(value.toPrecision(6));
}
