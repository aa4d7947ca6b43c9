/** One cumulative histogram bucket: how many observations were at most `le` (the last one's `le` is Infinity). */
export interface HistogramBucket {
  le: number;
  count: number;
}

/** p50, p95 and p99 in seconds; NaN when nothing was observed. */
export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The `q` quantile (0 ≤ q ≤ 1) of cumulative histogram buckets, computed exactly as PromQL's
 * `histogram_quantile`: find the bucket holding rank `q × count`, then interpolate linearly inside it (from 0
 * for the first bucket). A rank in the `+Inf` bucket gives the highest finite bound. NaN when there is no
 * observation or the last bucket is not `+Inf`.
 *
 * @example
 * ```ts
 * histogramQuantile(0.5, [{ le: 1, count: 2 }, { le: Infinity, count: 2 }]); // 0.5
 * ```
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const last = buckets[buckets.length - 1];
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || buckets.length < 2) return Number.NaN;
  const observations = last.count;
  if (observations === 0) return Number.NaN;
  const rank = q * observations;
  let index = buckets.findIndex((bucket, i) => i < buckets.length - 1 && bucket.count >= rank);
  if (index === -1) index = buckets.length - 1;
  if (index === buckets.length - 1) return (buckets[buckets.length - 2] as HistogramBucket).le;
  const bucket = buckets[index] as HistogramBucket;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const previous = index > 0 ? buckets[index - 1] : undefined;
  const start = previous?.le ?? 0;
  const below = previous?.count ?? 0;
  const inBucket = bucket.count - below;
  if (inBucket === 0) return start;
  return start + (bucket.le - start) * ((rank - below) / inBucket);
}

/** p50, p95 and p99 of cumulative buckets. */
export function quantilesOf(buckets: readonly HistogramBucket[]): Quantiles {
  return {
    p50: histogramQuantile(0.5, buckets),
    p95: histogramQuantile(0.95, buckets),
    p99: histogramQuantile(0.99, buckets),
  };
}

/** Sums cumulative histograms bucket by bucket (PromQL's `sum by (le)`); they must share their bounds. */
export class BucketSum {
  private bounds: number[] = [];
  private counts: number[] = [];

  /** Adds one histogram; one with other bounds than the first is ignored (a meter's buckets never change). */
  add(buckets: readonly HistogramBucket[]): void {
    if (this.bounds.length === 0) {
      this.bounds = buckets.map((bucket) => bucket.le);
      this.counts = buckets.map((bucket) => bucket.count);
      return;
    }
    if (buckets.length !== this.bounds.length) return;
    buckets.forEach((bucket, i) => {
      if (bucket.le === this.bounds[i]) this.counts[i] = (this.counts[i] ?? 0) + bucket.count;
    });
  }

  /** The summed cumulative buckets. */
  buckets(): HistogramBucket[] {
    return this.bounds.map((le, i) => ({ le, count: this.counts[i] ?? 0 }));
  }
}
