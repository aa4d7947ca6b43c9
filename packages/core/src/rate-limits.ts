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
  const at = instantOf(text);
  return at === undefined ? undefined : Math.max(0, at - now) / 1000;
}

/** An RFC 3339 instant in epoch milliseconds; undefined when it is not one. */
function instantOf(text: string): number | undefined {
  const value = text.trim();
  if (!RFC3339.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/** One resource's header names, and whether its reset is an instant (Anthropic) or a duration (OpenAI). */
interface HeaderFamily {
  resource: RateLimitResource;
  /** Where the resource's entry is in a model's list: both providers' `requests` and `tokens` share one. */
  slot: number;
  names: { limit: string; remaining: string; reset: string };
  resetIsInstant: boolean;
}

const RESOURCE_SLOTS = new Map<RateLimitResource, number>(
  ANTHROPIC.map(([, resource], slot) => [resource, slot] as const),
);
// In readRateLimits' order, so that of two families naming one resource in a response, the second's values win.
const FAMILIES: readonly HeaderFamily[] = [
  ...OPENAI_HEADERS.map((family) => ({
    ...family,
    slot: RESOURCE_SLOTS.get(family.resource) ?? 0,
    resetIsInstant: false,
  })),
  ...ANTHROPIC_HEADERS.map((family) => ({
    ...family,
    slot: RESOURCE_SLOTS.get(family.resource) ?? 0,
    resetIsInstant: true,
  })),
];

/** The labels of one rate-limit gauge sample (a type, not an interface: prom-client takes it as a record). */
export type RateLimitLabels = {
  readonly provider: string;
  readonly model: string;
  readonly resource: RateLimitResource;
};

/**
 * The latest limit, remaining and reset one provider, model and resource reported. Each value is kept with the
 * header text it was read from, so that a response repeating it (the limits, a reset that did not move) costs a
 * string comparison rather than a parse.
 */
export class RateLimitEntry {
  readonly labels: RateLimitLabels;
  limit: number | undefined;
  limitText: string | undefined;
  remaining: number | undefined;
  remainingText: string | undefined;
  resetText: string | undefined;
  /** Whether `resetText` was read as an instant: the same text read as a duration would not parse. */
  resetIsInstant = false;
  /** A duration reset (OpenAI), in seconds. */
  resetDuration: number | undefined;
  /** An instant reset (Anthropic), in epoch milliseconds, and when the response reporting it arrived. */
  resetAt: number | undefined;
  reportedAt = 0;

  constructor(labels: RateLimitLabels) {
    this.labels = labels;
  }

  /** Seconds until the window resets, as of the response that reported it (never below 0). */
  get resetSeconds(): number | undefined {
    if (this.resetAt !== undefined) return Math.max(0, this.resetAt - this.reportedAt) / 1000;
    return this.resetDuration;
  }
}

/**
 * What the rate-limit gauges show: per provider, model and resource, the latest value of each field that a
 * response reported and that parsed (a response without a field, or with one that does not parse, leaves the
 * field as it was), read exactly as {@link readRateLimits} reads them. A response costs some header lookups and
 * string comparisons; the gauges are written from here when a scrape reads them.
 */
export class RateLimitBook {
  /** Entries by `provider\u0000model`, each a list by the slot of its resource. */
  readonly #byModel = new Map<string, (RateLimitEntry | undefined)[]>();
  /** Every entry, in the order they were first reported. */
  readonly entries: RateLimitEntry[] = [];

  /**
   * Takes the rate limits a response's headers report, for a provider and model (label values already under
   * the cardinality guard); `now` is when the response arrived (epoch ms). Says whether it reported any.
   */
  observe(provider: string, model: string, header: HeaderLookup, now: number): boolean {
    let slots: (RateLimitEntry | undefined)[] | undefined;
    for (let index = 0; index < FAMILIES.length; index++) {
      const { names, resource, slot, resetIsInstant } = FAMILIES[index] as HeaderFamily;
      const limit = header(names.limit);
      const remaining = header(names.remaining);
      const reset = header(names.reset);
      if (limit === undefined && remaining === undefined && reset === undefined) continue;
      slots ??= this.#slotsOf(provider, model);
      let entry = slots[slot];
      if (entry === undefined) {
        entry = new RateLimitEntry({ provider, model, resource });
        slots[slot] = entry;
        this.entries.push(entry);
      }
      if (limit !== undefined && limit !== entry.limitText) {
        const value = count(limit);
        if (value !== undefined) {
          entry.limit = value;
          entry.limitText = limit;
        }
      }
      if (remaining !== undefined && remaining !== entry.remainingText) {
        const value = count(remaining);
        if (value !== undefined) {
          entry.remaining = value;
          entry.remainingText = remaining;
        }
      }
      if (reset !== undefined) takeReset(entry, reset, resetIsInstant, now);
    }
    return slots !== undefined;
  }

  /** Forgets one field of every entry (its gauge was reset), or all of them. */
  clear(field?: 'limit' | 'remaining' | 'reset'): void {
    if (field === undefined) {
      this.#byModel.clear();
      this.entries.length = 0;
      return;
    }
    for (const entry of this.entries) {
      if (field === 'limit') {
        entry.limit = undefined;
        entry.limitText = undefined;
      } else if (field === 'remaining') {
        entry.remaining = undefined;
        entry.remainingText = undefined;
      } else {
        entry.resetText = undefined;
        entry.resetDuration = undefined;
        entry.resetAt = undefined;
      }
    }
  }

  #slotsOf(provider: string, model: string): (RateLimitEntry | undefined)[] {
    const key = `${provider}\u0000${model}`;
    let slots = this.#byModel.get(key);
    if (slots === undefined) {
      slots = [];
      this.#byModel.set(key, slots);
    }
    return slots;
  }
}

/** Takes a reported reset: a duration is parsed when its text changed; an instant also counts from `now`. */
function takeReset(entry: RateLimitEntry, reset: string, resetIsInstant: boolean, now: number): void {
  if (reset !== entry.resetText || resetIsInstant !== entry.resetIsInstant) {
    if (resetIsInstant) {
      const at = instantOf(reset);
      if (at === undefined) return;
      entry.resetAt = at;
      entry.resetDuration = undefined;
    } else {
      const seconds = goDurationSeconds(reset);
      if (seconds === undefined) return;
      entry.resetDuration = seconds;
      entry.resetAt = undefined;
    }
    entry.resetText = reset;
    entry.resetIsInstant = resetIsInstant;
  }
  entry.reportedAt = now;
}

/** `retry-after`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when it is neither. */
function retryAfterSeconds(text: string, now: number): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now) / 1000;
}
