import type { ServerResponse } from 'node:http';
import type { WireFormat } from '@llmeter/core/wire';

/**
 * The upstream went silent for longer than the configured timeout, before its response or in the middle of it.
 * Core's `errorTypeFromError` reads it (by its name) as `timeout`.
 */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
}

/**
 * The request to the upstream failed without a response (refused, reset, DNS, TLS…); `cause` is the socket's
 * error. Core's `errorTypeFromError` reads it (by its name) as `network`, or as `timeout` when its cause is one.
 */
export class UpstreamConnectionError extends Error {
  override readonly name = 'UpstreamConnectionError';
}

/** Why the proxy itself answered instead of the upstream. Also sent as the `x-llmeter-error` header. */
export type ProxyErrorCode =
  | 'invalid_request_target'
  | 'request_too_large'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'proxy_error';

const STATUS: Record<ProxyErrorCode, number> = {
  invalid_request_target: 400,
  request_too_large: 413,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  proxy_error: 500,
};

/** Anthropic's error `type` for each status the proxy answers with (as its API documents them). */
const ANTHROPIC_TYPE: Record<ProxyErrorCode, string> = {
  invalid_request_target: 'invalid_request_error',
  request_too_large: 'request_too_large',
  upstream_unreachable: 'api_error',
  upstream_timeout: 'timeout_error',
  proxy_error: 'api_error',
};

/** The HTTP status the proxy answers with for `code`. */
export function proxyErrorStatus(code: ProxyErrorCode): number {
  return STATUS[code];
}

/**
 * An error body in the dialect of the API the client called, so that its SDK raises its usual error with our
 * message: Anthropic's `{"type":"error","error":{type,message}}` for the Messages API, else OpenAI's
 * `{"error":{message,type,param,code}}` (which OpenAI-compatible clients also read).
 */
export function proxyErrorBody(code: ProxyErrorCode, message: string, format: WireFormat | undefined): string {
  const text = `llmeter proxy: ${message}`;
  if (format?.name === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_TYPE[code], message: text } });
  }
  const type = STATUS[code] < 500 ? 'invalid_request_error' : 'server_error';
  return JSON.stringify({ error: { message: text, type, param: null, code } });
}

/** Answers a request with the proxy's own JSON error, unless the response already started (then cuts it). */
export function sendProxyError(
  res: ServerResponse,
  code: ProxyErrorCode,
  message: string,
  format: WireFormat | undefined,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = proxyErrorBody(code, message, format);
  res.writeHead(STATUS[code], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-llmeter-error': code,
  });
  res.end(body);
}
