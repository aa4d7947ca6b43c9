import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatRate,
  formatRatio,
  formatSeconds,
  formatShortSeconds,
  formatUsd,
  UNKNOWN,
} from './format.js';

describe('number formatting (the page and the terminal summary)', () => {
  it('shows USD with 6 decimals below $1, 4 below $100, then cents', () => {
    expect(formatUsd(0.0117795)).toBe('$0.011780');
    expect(formatUsd(0)).toBe('$0.000000');
    expect(formatUsd(1.23456)).toBe('$1.2346');
    expect(formatUsd(123.456)).toBe('$123.46');
  });

  it('shows seconds as whole milliseconds below one second', () => {
    expect(formatSeconds(0.4875)).toBe('488 ms');
    expect(formatSeconds(0)).toBe('0 ms');
    expect(formatSeconds(1.2128)).toBe('1.21 s');
  });

  it('shows short spans in whole microseconds below a millisecond', () => {
    expect(formatShortSeconds(0.00025)).toBe('250 µs');
    expect(formatShortSeconds(0.0123)).toBe('12 ms');
    expect(formatShortSeconds(2)).toBe('2.00 s');
  });

  it('shows ratios as percentages, with two decimals below 10 %', () => {
    expect(formatRatio(1 / 21)).toBe('4.76%');
    expect(formatRatio(0)).toBe('0.00%');
    expect(formatRatio(0.25)).toBe('25.0%');
    expect(formatRatio(1)).toBe('100.0%');
  });

  it('shows counts whole, with thousands separators', () => {
    expect(formatCount(30_000)).toBe('30,000');
    expect(formatCount(2.5)).toBe('3');
    expect(formatCount(0)).toBe('0');
  });

  it('shows rates with two significant digits below 1 and fewer decimals as they grow', () => {
    expect(formatRate(0.0333)).toBe('0.033');
    expect(formatRate(2.5)).toBe('2.50');
    expect(formatRate(250.4)).toBe('250');
  });

  it('shows an unknown value (null from JSON, NaN, Infinity, undefined) as an en dash', () => {
    expect(UNKNOWN).toBe('–');
    for (const format of [formatUsd, formatSeconds, formatShortSeconds, formatRatio, formatCount, formatRate]) {
      expect([null, undefined, Number.NaN, Number.POSITIVE_INFINITY].map(format)).toEqual([
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
      ]);
    }
  });
});
