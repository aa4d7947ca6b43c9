import { describe, expect, it } from 'vitest';
import { monthEndWaitMs } from './month-end.js';

describe('monthEndWaitMs', () => {
  it('waits for the next month when less than the margin is left of this one', () => {
    expect(monthEndWaitMs(new Date('2026-11-30T23:55:00Z'), 600_000)).toBe(302_000);
    expect(monthEndWaitMs(new Date('2026-11-30T23:59:59.500Z'), 600_000, 0)).toBe(500);
  });

  it('does not wait with the margin or more left', () => {
    expect(monthEndWaitMs(new Date('2026-11-30T23:50:00Z'), 600_000)).toBe(0);
    expect(monthEndWaitMs(new Date('2026-11-01T00:00:00Z'), 600_000)).toBe(0);
  });

  it('counts months of every length, and the year turning, in UTC', () => {
    expect(monthEndWaitMs(new Date('2026-12-31T23:58:00Z'), 600_000, 0)).toBe(120_000);
    expect(monthEndWaitMs(new Date('2028-02-29T23:59:00Z'), 600_000, 0)).toBe(60_000);
    expect(monthEndWaitMs(new Date('2027-02-28T23:59:00Z'), 600_000, 0)).toBe(60_000);
    // 23:55 in New York on Nov 30 is already December in UTC, with most of the month ahead.
    expect(monthEndWaitMs(new Date('2026-11-30T23:55:00-05:00'), 600_000)).toBe(0);
  });
});
