import {
  ERROR_TYPES,
  type ErrorType,
  type ExtraLabels,
  SERVER_TOOLS,
  SERVICE_TIERS,
  TOKEN_TYPES,
} from './metric-contract.js';

/** Label values of one series: provider, model, operation and the user labels. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** A histogram series as prom-client keeps it (its `hashMap` values): per-bucket counts keyed by upper bound. */
export interface HistogramEntry {
  readonly labels: Readonly<Record<string, unknown>>;
  readonly bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Where one series' observations of one histogram go: prom-client's own entry, valid while the histogram's
 * storage is of the same `generation` (a reset replaces it).
 */
export interface HistogramSlot {
  readonly entry: HistogramEntry;
  readonly generation: number;
}

/** The histogram series a {@link Series} observes into, by their index in {@link Series.histogramSlots}. */
export const HISTOGRAM_SLOT = { durationOk: 0, durationError: 1, timeToFirstToken: 2, timePerOutputToken: 3 } as const;

const ERROR_INDEX = new Map<ErrorType, number>(ERROR_TYPES.map((type, index) => [type, index]));
const OTHER_ERROR_INDEX = ERROR_TYPES.indexOf('other');

/**
 * The running totals of one label set. Counters and the in-flight gauge are plain numbers here, written
 * into prom-client only when a scrape collects them: a call costs some additions instead of a label hash per
 * counter.
 */
export class Series {
  readonly labels: SeriesLabels;
  /** The label objects histograms observe with, built once instead of per call. */
  readonly okLabels: SeriesLabels & Pick<ExtraLabels, 'status'>;
  readonly errorLabels: SeriesLabels & Pick<ExtraLabels, 'status'>;
  /**
   * prom-client's entries this series observes into, found once per series (and after a reset) so that an
   * observation costs no label key building or lookup: by {@link HISTOGRAM_SLOT}.
   */
  readonly histogramSlots: (HistogramSlot | undefined)[] = [undefined, undefined, undefined, undefined];
  inFlight = 0;
  /** The metrics' version when a call last changed these totals: a collect rewrites the series changed since. */
  changed = 0;
  ok = 0;
  error = 0;
  /** Failures by the index of their type in `ERROR_TYPES`. */
  readonly failures = new Float64Array(ERROR_TYPES.length);
  /** Tokens by the index of their type in `TOKEN_TYPES`. */
  readonly tokens = new Float64Array(TOKEN_TYPES.length);
  /** Server-side tool calls by the index of their tool in `SERVER_TOOLS`. */
  readonly serverToolCalls = new Float64Array(SERVER_TOOLS.length);
  /** Calls served at a tier with no price of its own, by the index of the tier in `SERVICE_TIERS`. */
  readonly unpricedTiers = new Float64Array(SERVICE_TIERS.length);
  /** Calls that reported usage: `input` and `output` series exist from the first one. */
  withUsage = 0;
  cost = 0;
  priced = 0;
  unpriced = 0;
  estimated = 0;
  /** Successful calls of a known operation that had no usage, reported or estimated. */
  usageMissing = 0;
  /** Calls whose own label set did not fit the series budget and were folded into this one. */
  folded = 0;

  constructor(labels: SeriesLabels) {
    this.labels = labels;
    this.okLabels = { ...labels, status: 'ok' };
    this.errorLabels = { ...labels, status: 'error' };
  }

  fail(type: ErrorType): void {
    const index = ERROR_INDEX.get(type) ?? OTHER_ERROR_INDEX;
    this.failures[index] = (this.failures[index] ?? 0) + 1;
  }
}
