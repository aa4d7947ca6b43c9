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

/**
 * The upstream answered with something the proxy cannot pass on as HTTP: a status outside 200-999 for a final
 * response (`099`, `000`, `101 Switching Protocols` to a plain request), a reason phrase or header with a
 * control character, bytes that do not parse as a response, a body in a `Content-Encoding` that does not decode.
 * The proxy answers 502 itself (when the client has no response yet), and the call counts as a `server_error`:
 * the upstream did answer, wrongly, as RFC 9110 §15.6.3 describes a 502's cause.
 */
export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
}

/** Why the proxy itself answered instead of the upstream. Also sent as the `x-llmeter-error` header. */
export type ProxyErrorCode =
  | 'invalid_request_target'
  | 'request_too_large'
  | 'upstream_unreachable'
  | 'upstream_invalid_response'
  | 'upstream_timeout'
  | 'proxy_error';

const STATUS: Record<ProxyErrorCode, number> = {
  invalid_request_target: 400,
  request_too_large: 413,
  upstream_unreachable: 502,
  upstream_invalid_response: 502,
  upstream_timeout: 504,
  proxy_error: 500,
};

/** Anthropic's error `type` for each status the proxy answers with (as its API documents them). */
const ANTHROPIC_TYPE: Record<ProxyErrorCode, string> = {
  invalid_request_target: 'invalid_request_error',
  request_too_large: 'request_too_large',
  upstream_unreachable: 'api_error',
  upstream_invalid_response: 'api_error',
  upstream_timeout: 'timeout_error',
  proxy_error: 'api_error',
};

/**
 * Google's canonical status for each code the proxy answers with, as the Gemini API and Vertex AI name them in
 * `error.status` (`google.rpc.Code`): the Gen AI SDK shows it in its `ApiError` message.
 */
const GOOGLE_STATUS: Record<ProxyErrorCode, string> = {
  invalid_request_target: 'INVALID_ARGUMENT',
  request_too_large: 'INVALID_ARGUMENT',
  upstream_unreachable: 'UNAVAILABLE',
  upstream_invalid_response: 'UNAVAILABLE',
  upstream_timeout: 'DEADLINE_EXCEEDED',
  proxy_error: 'INTERNAL',
};

/** The HTTP status the proxy answers with for `code`. */
export function proxyErrorStatus(code: ProxyErrorCode): number {
  return STATUS[code];
}

/**
 * An error body in the dialect of the API the client called, so that its SDK raises its usual error with our
 * message: Anthropic's `{"type":"error","error":{type,message}}` for the Messages API, Google's `{"error":{code,message,status}}` for
 * Gemini paths, else OpenAI's `{"error":{message,type,param,code}}` (which OpenAI-compatible clients also read).
 */
export function proxyErrorBody(code: ProxyErrorCode, message: string, format: WireFormat | undefined): string {
  const text = `llmeter proxy: ${message}`;
  if (format?.name === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_TYPE[code], message: text } });
  }
  if (format?.name === 'gemini') {
    return JSON.stringify({ error: { code: STATUS[code], message: text, status: GOOGLE_STATUS[code] } });
  }
  const type = STATUS[code] < 500 ? 'invalid_request_error' : 'server_error';
  return JSON.stringify({ error: { message: text, type, param: null, code } });
}

/**
 * Answers a request with the proxy's own JSON error, unless the response already started (then cuts it). With
 * `close`, the connection closes after it (the client's request body was not read: its bytes must not be taken
 * for the next request).
 */
export function sendProxyError(
  res: ServerResponse,
  code: ProxyErrorCode,
  message: string,
  format: WireFormat | undefined,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A failed writeHead (an upstream status line Node refused) leaves its reason phrase and headers behind.
  res.statusMessage = '';
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (close) res.shouldKeepAlive = false;
  const body = proxyErrorBody(code, message, format);
  res.writeHead(STATUS[code], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-llmeter-error': code,
  });
  res.end(body);
}
