import { describe, expect, it } from 'vitest';
import { errorTypeFromError, errorTypeFromStatus } from './error-type.js';

describe('errorTypeFromStatus', () => {
  it.each([
    [200, undefined],
    [304, undefined],
    [400, 'bad_request'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'bad_request'],
    [408, 'timeout'],
    [413, 'bad_request'],
    [422, 'bad_request'],
    [429, 'rate_limit'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'overloaded'],
    [504, 'timeout'],
    [529, 'overloaded'],
    [599, 'server_error'],
    [600, 'other'],
  ])('maps %i to %s', (status, expected) => {
    expect(errorTypeFromStatus(status)).toBe(expected);
  });
});

class NamedError extends Error {
  constructor(
    override readonly name: string,
    options?: { cause?: unknown; status?: number; code?: string },
  ) {
    super(name, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.assign(this, options?.status === undefined ? {} : { status: options.status });
    Object.assign(this, options?.code === undefined ? {} : { code: options.code });
  }
}

describe('errorTypeFromError', () => {
  it('reads an SDK API error by its status', () => {
    expect(errorTypeFromError(new NamedError('RateLimitError', { status: 429 }))).toBe('rate_limit');
    expect(errorTypeFromError(new NamedError('InternalServerError', { status: 529 }))).toBe('overloaded');
    expect(errorTypeFromError(new NamedError('APIError', { status: 302 }))).toBe('other');
  });

  it('tells a caller abort from a timeout', () => {
    expect(errorTypeFromError(new NamedError('APIUserAbortError'))).toBe('aborted');
    expect(errorTypeFromError(new DOMException('stop', 'AbortError'))).toBe('aborted');
    expect(errorTypeFromError(new NamedError('APIConnectionTimeoutError'))).toBe('timeout');
    expect(errorTypeFromError(new DOMException('late', 'TimeoutError'))).toBe('timeout');
  });

  it('reads Node and undici error codes through causes', () => {
    const refused = new NamedError('Error', { code: 'ECONNREFUSED' });
    expect(errorTypeFromError(new NamedError('APIConnectionError', { cause: refused }))).toBe('network');
    const slow = new NamedError('Error', { code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(
      errorTypeFromError(
        new NamedError('APIConnectionError', { cause: new TypeError('fetch failed', { cause: slow }) }),
      ),
    ).toBe('timeout');
    expect(errorTypeFromError(new NamedError('APIConnectionError'))).toBe('network');
  });

  it('reads any error named …AbortError, …TimeoutError or …ConnectionError the same way', () => {
    const reset = new NamedError('Error', { code: 'ECONNRESET' });
    expect(errorTypeFromError(new NamedError('UpstreamTimeoutError'))).toBe('timeout');
    expect(errorTypeFromError(new NamedError('BodyTimeoutError'))).toBe('timeout');
    expect(errorTypeFromError(new NamedError('UpstreamConnectionError', { cause: reset }))).toBe('network');
    // A TLS failure has no code errorTypeFromError knows: the connection error around it still says network.
    const tls = new NamedError('Error', { code: 'CERT_HAS_EXPIRED' });
    expect(errorTypeFromError(new NamedError('UpstreamConnectionError', { cause: tls }))).toBe('network');
    expect(errorTypeFromError(tls)).toBe('other');
  });

  it('reads the class name when an SDK leaves name as Error (openai v6)', () => {
    class APIUserAbortError extends Error {}
    class APIConnectionTimeoutError extends Error {}
    expect(errorTypeFromError(new APIUserAbortError('Request was aborted.'))).toBe('aborted');
    expect(errorTypeFromError(new APIConnectionTimeoutError('Request timed out.'))).toBe('timeout');
  });

  it('falls back to other', () => {
    expect(errorTypeFromError(new Error('boom'))).toBe('other');
    expect(errorTypeFromError('a string')).toBe('other');
    expect(errorTypeFromError(null)).toBe('other');
  });
});
