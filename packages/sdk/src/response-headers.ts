import type { HeaderLookup } from '@llmeter/core';
import { isRecord } from '@llmeter/core/wire';

/**
 * How to read the headers of what an SDK's `responsePromise` settled with: on success its props' `response`
 * (a fetch `Response`), on failure the `APIError`'s `headers` (a `Headers`, or a plain record in older SDKs).
 * Undefined when there are none (a connection error, an SDK without them).
 */
export function responseHeaderLookup(settled: unknown): HeaderLookup | undefined {
  if (!isRecord(settled)) return undefined;
  const response = settled.response;
  const headers = isRecord(response) ? response.headers : settled.headers;
  if (isRecord(headers) && typeof headers.get === 'function') {
    if (isIterable(headers)) return entryLookup(headers);
    const get = headers.get as (name: string) => unknown;
    return (name) => {
      const value = Reflect.apply(get, headers, [name]);
      return typeof value === 'string' ? value : undefined;
    };
  }
  if (isRecord(headers)) {
    return (name) => {
      const value = headers[name];
      return typeof value === 'string' ? value : undefined;
    };
  }
  return undefined;
}

function isIterable(value: object): value is Iterable<unknown> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Whether a header is one the rate-limit reader asks for (OpenAI's and Anthropic's families, `retry-after`). */
function isRateLimitHeader(name: string): boolean {
  return name.startsWith('x-ratelimit-') || name.startsWith('anthropic-ratelimit-') || name === 'retry-after';
}

/**
 * A fetch `Headers` read in one pass, keeping only the rate-limit headers: the reader asks for some 18 names, and
 * each `get` of undici's `Headers` validates its name again, which cost more than the rest of a call's
 * measuring together. Its iteration yields lower-case names, each once, with the values `get` would join.
 * Undefined when there are none (a compatible server without rate limits): then nothing is read.
 */
function entryLookup(headers: Iterable<unknown>): HeaderLookup | undefined {
  let values: Map<string, string> | undefined;
  for (const entry of headers) {
    if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string') {
      if (isRateLimitHeader(entry[0])) {
        values ??= new Map();
        values.set(entry[0], entry[1]);
      }
    }
  }
  if (values === undefined) return undefined;
  const found = values;
  return (name) => found.get(name);
}
