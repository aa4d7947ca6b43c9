import type { ErrorType } from './record.js';

/**
 * The `error_type` of a failed HTTP response, from its status code.
 * Returns `undefined` for a status that is not a failure (below 400).
 */
export function errorTypeFromStatus(status: number): ErrorType | undefined {
  if (status < 400) return undefined;
  switch (status) {
    case 429:
      return 'rate_limit';
    case 401:
    case 403:
      return 'auth';
    case 408:
    case 504:
      return 'timeout';
    case 503:
    case 529:
      return 'overloaded';
  }
  if (status < 500) return 'bad_request';
  if (status < 600) return 'server_error';
  return 'other';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The `error_type` of a thrown error: an SDK's API error (by its HTTP status), a caller's abort, a timeout or
 * a network failure (by Node's and undici's error codes, following `cause`), else `other`.
 *
 * Errors are told apart by name, so that no front end has to share classes with another: a name ending in
 * `AbortError` is `aborted` (`AbortError`, the SDKs' `APIUserAbortError`), one ending in `TimeoutError` is
 * `timeout` (`TimeoutError`, `APIConnectionTimeoutError`, the proxy's `UpstreamTimeoutError`), and one ending
 * in `ConnectionError` is `network` unless its `cause` tells more (`APIConnectionError`, the proxy's
 * `UpstreamConnectionError`): the request got no response.
 *
 * @example
 * ```ts
 * import { errorTypeFromError } from '@llmeter/core';
 * errorTypeFromError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // 'network'
 * ```
 */
export function errorTypeFromError(error: unknown): ErrorType {
  let fallback: ErrorType = 'other';
  for (let current = error, depth = 0; current != null && depth < 5; depth++) {
    if (typeof current !== 'object') break;
    const { status, code } = current as { status?: unknown; code?: unknown };
    // The OpenAI and Anthropic SDKs name their error classes after what happened; those names are stable API.
    // openai v6 leaves `name` as 'Error' on its classes, so the class name is read when `name` says nothing.
    const name = errorName(current);
    if (typeof name === 'string') {
      if (name.endsWith('AbortError')) return 'aborted';
      if (name.endsWith('TimeoutError')) return 'timeout';
    }
    if (typeof status === 'number') return errorTypeFromStatus(status) ?? 'other';
    // The AWS SDK's service errors (`ThrottlingException`, …) carry their status in `$metadata`.
    const awsStatus = (current as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    if (typeof awsStatus === 'number') return errorTypeFromStatus(awsStatus) ?? 'other';
    if (typeof code === 'string') {
      if (TIMEOUT_CODES.has(code)) return 'timeout';
      if (NETWORK_CODES.has(code)) return 'network';
    }
    // A connection error may wrap a more precise cause (a timeout), so keep looking.
    if (typeof name === 'string' && name.endsWith('ConnectionError')) fallback = 'network';
    current = (current as { cause?: unknown }).cause;
  }
  return fallback;
}

function errorName(error: object): unknown {
  const { name } = error as { name?: unknown };
  if (name !== 'Error' && name !== undefined) return name;
  return (error as { constructor?: { name?: unknown } }).constructor?.name ?? name;
}
