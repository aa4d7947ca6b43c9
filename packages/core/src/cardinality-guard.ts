import { OVERFLOW_LABEL_VALUE } from './metric-contract.js';

/** Limits on label values, so that no client, typo or attacker can create unbounded series. */
export interface CardinalityLimits {
  /** Distinct values of the `model` label. Default 200. */
  models?: number;
  /** Distinct values of each user label. Default 50. */
  labelValues?: number;
  /** Longest label value kept; longer ones are cut to this many characters. Default 128. */
  valueLength?: number;
  /**
   * Distinct label sets (provider, model, operation and user labels together) a meter's metrics keep. The caps
   * above bound each label, not their product (200 models × 50 teams × 3 operations is 30,000 label sets, some
   * 2 million lines of `/metrics`); past this budget, a call with a new combination is folded into its
   * provider's and operation's overflow label set (`model` and every user label `other`) and counted in
   * `*_series_overflow_total`. Default 2000.
   */
  series?: number;
}

export const DEFAULT_CARDINALITY_LIMITS: Required<CardinalityLimits> = {
  models: 200,
  labelValues: 50,
  valueLength: 128,
  series: 2000,
};

/** `limits` over the defaults; throws a `RangeError` on a limit that is not a positive integer. */
export function resolveCardinalityLimits(limits: CardinalityLimits = {}): Required<CardinalityLimits> {
  const resolved = { ...DEFAULT_CARDINALITY_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`llmeter: cardinality limit "${name}" must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}

/**
 * Admits at most a fixed number of distinct values per label; every value after that becomes `other`.
 * The first values seen win, which keeps the series of a steady workload stable.
 */
export class CardinalityGuard {
  private readonly seen = new Map<string, Set<string>>();
  /** The limits in force, defaults filled in. */
  readonly limits: Readonly<Required<CardinalityLimits>>;

  constructor(limits: CardinalityLimits = {}) {
    this.limits = resolveCardinalityLimits(limits);
  }

  /** The value to use for label `name`: `value` itself while there is room, else `other`. */
  admit(name: string, value: string): string {
    const cut = value.length > this.limits.valueLength ? value.slice(0, this.limits.valueLength) : value;
    let values = this.seen.get(name);
    if (values === undefined) {
      values = new Set();
      this.seen.set(name, values);
    }
    if (values.has(cut)) return cut;
    const limit = name === 'model' ? this.limits.models : this.limits.labelValues;
    if (values.size >= limit) return OVERFLOW_LABEL_VALUE;
    values.add(cut);
    return cut;
  }
}
