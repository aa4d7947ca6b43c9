/**
 * The providers' rate-limit headers, read in one place for both front ends (the proxy reads an upstream
 * response's headers, the SDK the `Response` behind an API promise).
 */

import type { RateLimitResource } from './metric-contract.js';

/** One rate limit as a response reported it; a field the response did not send is undefined. */
export interface RateLimitReading {
  resource: RateLimitResource;
  /** The most the window allows. */
  limit?: number | undefined;
  /** What is left of it. */
  remaining?: number | undefined;
  /** Seconds until the window resets (fully, for OpenAI; to the limit, for Anthropic), never below 0. */
  resetSeconds?: number | undefined;
}

/** Every rate limit a response reported, and its `retry-after` in seconds when it sent one. */
export interface RateLimits {
  readings: RateLimitReading[];
  retryAfterSeconds?: number | undefined;
}

/** Reads one response header by its lower-case name; undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

// OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as Go durations (`6m0s`, `12ms`).
const OPENAI: readonly (readonly [suffix: string, RateLimitResource])[] = [
  ['requests', 'requests'],
  ['tokens', 'tokens'],
];
// Anthropic: `anthropic-ratelimit-{resource}-{limit,remaining,reset}`, resets as RFC 3339 instants.
const ANTHROPIC: readonly (readonly [infix: string, RateLimitResource])[] = [
  ['requests', 'requests'],
  ['tokens', 'tokens'],
  ['input-tokens', 'input_tokens'],
  ['output-tokens', 'output_tokens'],
];

// The header names, built once: a name built on every read is a new string for the lookup to hash, every call.
const OPENAI_HEADERS = OPENAI.map(([suffix, resource]) => ({
  resource,
  names: {
    limit: `x-ratelimit-limit-${suffix}`,
    remaining: `x-ratelimit-remaining-${suffix}`,
    reset: `x-ratelimit-reset-${suffix}`,
  },
}));
const ANTHROPIC_HEADERS = ANTHROPIC.map(([infix, resource]) => ({
  resource,
  names: {
    limit: `anthropic-ratelimit-${infix}-limit`,
    remaining: `anthropic-ratelimit-${infix}-remaining`,
    reset: `anthropic-ratelimit-${infix}-reset`,
  },
}));

/** Appends the readings of one provider's header family; `resetSeconds` reads its reset format. */
function readFamily(
  header: HeaderLookup,
  family: typeof OPENAI_HEADERS,
  resetSeconds: (reset: string) => number | undefined,
  readings: RateLimitReading[],
): void {
  for (const { resource, names } of family) {
    const limit = header(names.limit);
    const remaining = header(names.remaining);
    const reset = header(names.reset);
    if (limit === undefined && remaining === undefined && reset === undefined) continue;
    readings.push({
      resource,
      limit: count(limit),
      remaining: count(remaining),
      resetSeconds: reset === undefined ? undefined : resetSeconds(reset),
    });
  }
}

/**
 * The rate limits a response's headers report, OpenAI's and Anthropic's alike; resources it says nothing of are
 * left out, and a value that does not parse is undefined (never a guess). `now` (epoch milliseconds) turns
 * Anthropic's reset instants and an HTTP-date `retry-after` into seconds from now.
 *
 * @example
 * ```ts
 * import { readRateLimits } from '@llmeter/core';
 * const headers = new Headers({ 'x-ratelimit-limit-requests': '500', 'x-ratelimit-reset-requests': '6m0s' });
 * readRateLimits((name) => headers.get(name) ?? undefined).readings;
 * // [{ resource: 'requests', limit: 500, remaining: undefined, resetSeconds: 360 }]
 * ```
 */
export function readRateLimits(header: HeaderLookup, now: number = Date.now()): RateLimits {
  const readings: RateLimitReading[] = [];
  readFamily(header, OPENAI_HEADERS, goDurationSeconds, readings);
  readFamily(header, ANTHROPIC_HEADERS, (reset) => secondsUntil(reset, now), readings);
  const retryAfter = header('retry-after');
  return { readings, retryAfterSeconds: retryAfter === undefined ? undefined : retryAfterSeconds(retryAfter, now) };
}

const COUNT = /^\s*\d+\s*$/;

/** A non-negative integer header value; undefined for anything else. */
function count(value: string | undefined): number | undefined {
  return value !== undefined && COUNT.test(value) ? Number(value) : undefined;
}

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/y;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ns: 1e-9,
};

/**
 * Seconds in a Go duration string as OpenAI sends it (`6m0s`, `12ms`, `1h2m3.5s`, `0s`); undefined when it is
 * not one. Rounded to the microsecond, so that `0.1s + 0.2s` reads 0.3.
 *
 * @example
 * ```ts
 * goDurationSeconds('1h2m3.5s'); // 3723.5
 * ```
 */
export function goDurationSeconds(text: string): number | undefined {
  const value = text.trim();
  if (value === '0') return 0;
  if (value === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let seconds = 0;
  while (DURATION_PART.lastIndex < value.length) {
    const match = DURATION_PART.exec(value);
    if (match === null) return undefined;
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(seconds) ? Math.round(seconds * 1e6) / 1e6 : undefined;
}

// RFC 3339 date-time, as Anthropic sends it (`2026-11-30T05:00:00Z`, fractions and offsets allowed).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Seconds from `now` to an RFC 3339 instant, at least 0; undefined when it is not one. */
function secondsUntil(text: string, now: number): number | undefined {
  const value = text.trim();
  if (!RFC3339.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now) / 1000;
}

/** `retry-after`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when it is neither. */
function retryAfterSeconds(text: string, now: number): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now) / 1000;
}
