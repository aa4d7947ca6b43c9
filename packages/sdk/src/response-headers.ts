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
