import type { Labels } from '@llmeter/core';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy never forwards them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The prefix of request headers that set llmeter labels; every such header stays with the proxy. */
export const LABEL_HEADER_PREFIX = 'x-llmeter-label-';
const LLMETER_PREFIX = 'x-llmeter-';

/** What the proxy sends upstream, from the client's request headers. */
export interface ForwardedRequestHeaders {
  /** Raw header list (`[name, value, name, value…]`), the client's spelling and order kept. */
  headers: string[];
  /** Labels from allowed `x-llmeter-label-KEY` headers, their values read as text by {@link headerText}. */
  labels: Labels | undefined;
}

/**
 * The client's headers, minus hop-by-hop ones, `Host` (replaced by the upstream's), `Expect` (the proxy
 * already answered it), `Content-Length` when the body is re-sent with a new length, and every `x-llmeter-*`
 * header (read here for labels, never forwarded). Credentials pass through untouched.
 *
 * @param allowedLabels lower-cased header key → label name, for the label headers that are allowed.
 * @param bodyLength the length of the body as it will be sent, when the proxy sends it from memory.
 */
export function forwardedRequestHeaders(
  rawHeaders: readonly string[],
  upstreamHost: string,
  allowedLabels: ReadonlyMap<string, string>,
  bodyLength: number | undefined,
): ForwardedRequestHeaders {
  // One pass: the headers a `Connection` header names (rarely any) are taken out afterwards.
  let dropped: Set<string> | undefined;
  let headers: string[] = ['host', upstreamHost];
  let labels: Record<string, string> | undefined;
  const readLabels = allowedLabels.size > 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower.startsWith(LLMETER_PREFIX)) {
      if (readLabels && lower.startsWith(LABEL_HEADER_PREFIX)) {
        const label = allowedLabels.get(lower.slice(LABEL_HEADER_PREFIX.length));
        if (label !== undefined && value !== '') {
          labels ??= {};
          labels[label] = headerText(value);
        }
      }
      continue;
    }
    if (lower === 'connection') dropped = connectionTokens(value, dropped);
    if (HOP_BY_HOP.has(lower) || lower === 'host' || lower === 'expect') continue;
    if (lower === 'content-length' && bodyLength !== undefined) continue;
    headers.push(name, value);
  }
  if (dropped !== undefined) headers = withoutNames(headers, dropped, 2);
  if (bodyLength !== undefined) headers.push('content-length', String(bodyLength));
  return { headers, labels };
}

/**
 * The upstream's response headers as the client gets them: everything but hop-by-hop headers (Node frames the
 * body for the client's own connection), and `Content-Length` when the proxy changes the body.
 */
export function forwardedResponseHeaders(rawHeaders: readonly string[], bodyChanged: boolean): string[] {
  let dropped: Set<string> | undefined;
  const headers: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'connection') dropped = connectionTokens(rawHeaders[i + 1] as string, dropped);
    if (HOP_BY_HOP.has(lower)) continue;
    if (bodyChanged && lower === 'content-length') continue;
    headers.push(name, rawHeaders[i + 1] as string);
  }
  return dropped === undefined ? headers : withoutNames(headers, dropped, 0);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A header value as text. Node gives header values as Latin-1 strings, one character per byte; clients that send
 * non-ASCII text send it as UTF-8 (curl, Python's http.client with bytes) or, for characters up to U+00FF, as
 * Latin-1 (fetch, most others). So the bytes are read as UTF-8 when they are valid UTF-8, else as Latin-1.
 * @example
 * ```ts
 * headerText('Ã©quipe'); // 'équipe' (the bytes C3 A9 are UTF-8 for é)
 * headerText('équipe'); // 'équipe' (the byte E9 alone is not UTF-8: Latin-1)
 * ```
 */
export function headerText(value: string): string {
  // ASCII, the usual case, reads the same either way; a character past U+00FF means the value is text already.
  if (!/[\u0080-\u00ff]/.test(value) || /[\u0100-\uffff]/.test(value)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** `tokens` plus the header names a `Connection` header's value lists (hop-by-hop for this message too). */
function connectionTokens(value: string, tokens: Set<string> | undefined): Set<string> | undefined {
  let names = tokens;
  for (const token of value.split(',')) {
    const trimmed = token.trim().toLowerCase();
    if (trimmed === '' || trimmed === 'close' || trimmed === 'keep-alive') continue;
    names ??= new Set();
    names.add(trimmed);
  }
  return names;
}

/** A raw header list without the headers named in `names`, from index `from` on (the ones before are kept). */
function withoutNames(rawHeaders: readonly string[], names: ReadonlySet<string>, from: number): string[] {
  const headers = rawHeaders.slice(0, from);
  for (let i = from; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i] as string;
    if (!names.has(key.toLowerCase())) headers.push(key, rawHeaders[i + 1] as string);
  }
  return headers;
}

/** A raw header list with every `name` header replaced by one `name: value`. */
export function withHeader(rawHeaders: readonly string[], name: string, value: string): string[] {
  const headers: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i] as string;
    if (key.toLowerCase() !== name) headers.push(key, rawHeaders[i + 1] as string);
  }
  headers.push(name, value);
  return headers;
}

/**
 * Whether a raw header list has a header of a provider's rate-limit families (`x-ratelimit-*`, OpenAI's;
 * `anthropic-ratelimit-*`): the meter looks for a dozen names in each response, and most responses of other
 * APIs (and of local models) have none of them, so the lookups are skipped for those.
 */
export function hasRateLimitHeaders(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const first = name.charCodeAt(0) | 0x20;
    if (first !== 0x78 /* x */ && first !== 0x61 /* a */) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('x-ratelimit-') || lower.startsWith('anthropic-ratelimit-')) return true;
  }
  return false;
}
