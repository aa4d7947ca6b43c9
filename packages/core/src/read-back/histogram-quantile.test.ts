import { describe, expect, it } from 'vitest';
import { histogramQuantile } from './histogram-quantile.js';

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.1, count: 2 },
    { le: 0.5, count: 6 },
    { le: 1, count: 9 },
    { le: Number.POSITIVE_INFINITY, count: 10 },
  ];

  it('interpolates linearly inside the bucket holding the rank, from 0 for the first bucket', () => {
    // rank 1 of 10 is in the first bucket (2 observations from 0 to 0.1): 0 + 0.1 × 1/2.
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(0.05, 12);
    // rank 5 is in (0.1, 0.5], which holds observations 3 to 6: 0.1 + 0.4 × (5 − 2)/4.
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.4, 12);
    // rank 8.5 is in (0.5, 1]: 0.5 + 0.5 × (8.5 − 6)/3.
    expect(histogramQuantile(0.85, buckets)).toBeCloseTo(0.5 + 0.5 * (2.5 / 3), 12);
  });

  it('answers the highest finite bound for a rank in +Inf, NaN with no observations, ±Inf out of range', () => {
    expect(histogramQuantile(0.95, buckets)).toBe(1);
    expect(
      histogramQuantile(
        0.5,
        buckets.map((b) => ({ ...b, count: 0 })),
      ),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(histogramQuantile(-1, buckets)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(2, buckets)).toBe(Number.POSITIVE_INFINITY);
  });
});
