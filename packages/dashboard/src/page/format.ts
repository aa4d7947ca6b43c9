/**
 * How llmeter shows numbers to people: the dashboard page and the `llmeter demo` terminal summary both format
 * with these, so a cost reads the same in both. Environment-neutral (no DOM, no Node): the page imports it as
 * an ES module, the terminal as `@llmeter/dashboard/format`.
 *
 * Every formatter takes `null` and `undefined` too (the dashboard's JSON turns an unknown quantile, NaN, into
 * `null`) and shows anything that is not a finite number as {@link UNKNOWN}.
 *
 * @example
 * ```ts
 * import { formatSeconds, formatUsd } from '@llmeter/dashboard/format';
 * formatUsd(0.0045125); // '$0.004513'
 * formatSeconds(0.85); // '850 ms'
 * ```
 */

/** What a formatter shows for a value that is unknown (no observation yet). */
export const UNKNOWN = '–';

/** A number that may be missing: JSON turns NaN and ±Infinity into `null`. */
export type MaybeNumber = number | null | undefined;

/** Turns a number into the text people see. */
export type Formatter = (value: MaybeNumber) => string;

function known(value: MaybeNumber): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** USD with enough decimals for the small sums of LLM calls: `$0.004512`, `$1.2345`, `$123.45`. */
export function formatUsd(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  const digits = Math.abs(value) >= 100 ? 2 : Math.abs(value) >= 1 ? 4 : 6;
  return `$${value.toFixed(digits)}`;
}

/** Seconds as `850 ms` below one second, `2.41 s` from there. */
export function formatSeconds(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
}

/** Short spans, as the proxy's own overhead: `250 µs` below a millisecond, then as {@link formatSeconds}. */
export function formatShortSeconds(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  return value < 0.001 ? `${Math.round(value * 1e6)} µs` : formatSeconds(value);
}

/** A ratio as a percentage: two decimals below 10 % (`0.25%`, `4.76%`), where error ratios live, then one. */
export function formatRatio(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
}

/** A whole count with thousands separators: `12,345`. */
export function formatCount(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  return Math.round(value).toLocaleString('en-US');
}

/** A rate (per second): whole from 100 (`250`), two decimals from 1 (`2.50`), two significant digits below. */
export function formatRate(value: MaybeNumber): string {
  if (!known(value)) return UNKNOWN;
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(2);
}
