import type { Upstream } from './config.js';

/** Where one request goes. */
export interface Route {
  upstream: Upstream;
  /** The request target sent upstream: the upstream URL's own path, then the rest of the path, then the query. */
  upstreamPath: string;
  /** The API path the client named, without the `/NAME` prefix or query (e.g. `/v1/chat/completions`). */
  apiPath: string;
}

/** A request target the proxy refuses to forward, and why (for the 400 body). */
export interface RouteRejection {
  rejected: string;
}

/**
 * Maps request targets to upstreams: `/NAME/rest` goes to upstream NAME as `/rest`, anything else to the first
 * (default) upstream unchanged. Only configured upstreams can be reached: the host always comes from the
 * configuration, never from the request (absolute-form targets are refused, the `Host` header is ignored), and
 * no path can climb out of an upstream URL's own base path, however the upstream decodes it.
 *
 * The rule, on the path (the target before `?`; the query is forwarded as it is): it is refused when
 * - it does not start with `/`, or has an empty segment (`//`, anywhere: `/openai//host` would otherwise be sent as
 *   `//host`, which some servers read as a host), or the target has a fragment (`#`, which a URL parser would cut
 *   off, with whatever follows it);
 * - it has a `\` (some servers take it for `/`), or a `%` that does not start a `%XX` escape (`%zz`, `%2`);
 * - a segment, percent-decoded once, and again as long as escapes remain (so `%252e` counts as `.`), is `.` or `..`
 *   (alone or before a `;` parameter, `..;x`), holds a `/`, `\`, or control character (`%2f`, `%5c`, `%00`,
 *   `%0a`), or is not UTF-8 (overlong forms such as `%c0%ae` for `.`).
 * Everything else passes unchanged, dots inside names (`file..name`) and escapes of other characters included.
 *
 * @example
 * ```ts
 * const router = new Router(resolveConfig({ upstreams: { azure: 'https://x.example/openai/' } }).upstreams);
 * router.route('/azure/deployments/d/chat/completions'); // { upstreamPath: '/openai/deployments/d/chat/completions', … }
 * router.route('/azure/%2e%2e/admin'); // { rejected: 'the request path must not contain "." or ".." segments…' }
 * ```
 */
export class Router {
  readonly #byName = new Map<string, Upstream>();
  readonly #default: Upstream;
  readonly #basePaths = new Map<Upstream, string>();

  constructor(upstreams: readonly Upstream[]) {
    const first = upstreams[0];
    if (first === undefined) throw new RangeError('llmeter: a router needs at least one upstream');
    this.#default = first;
    for (const upstream of upstreams) {
      this.#byName.set(upstream.name, upstream);
      this.#basePaths.set(upstream, upstream.url.pathname.replace(/\/+$/, ''));
    }
  }

  /** The route of a request target (`req.url`), or why it is refused. */
  route(target: string): Route | RouteRejection {
    // Origin-form only: an absolute-form target (`http://elsewhere/…`) names a host, which a reverse proxy
    // must not follow.
    if (target.charCodeAt(0) !== 47 /* / */ || target.startsWith('//')) {
      return { rejected: 'the request target must be a path (absolute URLs are not accepted)' };
    }
    if (target.includes('#')) return { rejected: 'the request target must not have a fragment ("#")' };
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? '' : target.slice(queryAt);
    const problem = pathProblem(path);
    if (problem !== undefined) return { rejected: problem };

    const secondSlash = path.indexOf('/', 1);
    const firstSegment = secondSlash === -1 ? path.slice(1) : path.slice(1, secondSlash);
    const named = this.#byName.get(firstSegment);
    const upstream = named ?? this.#default;
    const apiPath = named === undefined ? path : secondSlash === -1 ? '/' : path.slice(secondSlash);
    return { upstream, apiPath, upstreamPath: `${this.#basePaths.get(upstream) ?? ''}${apiPath}${query}` };
  }
}

const DOT_SEGMENT = 'the request path must not contain "." or ".." segments, plain or percent-encoded';
const SEPARATOR = 'the request path must not contain "\\" or a percent-encoded "/" or "\\"';

/** Why a path (starting with `/`, no query) must not be forwarded, or undefined when it may. */
function pathProblem(path: string): string | undefined {
  if (path.includes('//')) return 'the request path must not contain empty segments ("//")';
  if (path.includes('\\')) return SEPARATOR;
  // Most paths have neither: nothing to decode, no dot segment possible.
  if (!path.includes('%') && !path.includes('.')) return undefined;
  for (const segment of path.split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Why one segment of a path must not be forwarded, checking it as sent and as each round of decoding makes it. */
function segmentProblem(segment: string): string | undefined {
  let text = segment;
  for (let round = 0; ; round += 1) {
    const parameters = text.indexOf(';');
    const name = parameters === -1 ? text : text.slice(0, parameters);
    if (name === '.' || name === '..') return DOT_SEGMENT;
    if (!text.includes('%')) return undefined;
    const decoded = percentDecode(text);
    // As sent, every `%` must start an escape; after decoding, a stray `%` is a literal one (`%25zz` is `%zz`).
    if (decoded.malformed && round === 0)
      return 'the request path has a malformed percent-escape ("%" not followed by two hex digits)';
    if (decoded.bytes === undefined) return undefined;
    let next: string;
    try {
      next = UTF8.decode(decoded.bytes);
    } catch {
      return 'the request path must be UTF-8 once percent-decoded';
    }
    const unsafe = unsafeCharacter(next);
    if (unsafe !== undefined) return unsafe;
    text = next;
  }
}

/** Why decoded text must not be in a path segment: a separator or a control character. */
function unsafeCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 47 /* / */ || code === 92 /* \\ */) return SEPARATOR;
    if (code < 32 || code === 127) return 'the request path must not contain control characters, even encoded';
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `text` with its `%XX` escapes decoded to bytes (other characters as their UTF-8); `bytes` is undefined when it
 * had no valid escape (decoding again would change nothing), `malformed` says whether a `%` started no escape.
 */
function percentDecode(text: string): { bytes: Uint8Array | undefined; malformed: boolean } {
  const bytes: number[] = [];
  let malformed = false;
  let escapes = 0;
  for (let i = 0; i < text.length; ) {
    if (text.charCodeAt(i) === 37 /* % */) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high !== -1 && low !== -1) {
        bytes.push(high * 16 + low);
        escapes += 1;
        i += 3;
        continue;
      }
      malformed = true;
    }
    const codePoint = text.codePointAt(i) as number;
    const char = String.fromCodePoint(codePoint);
    for (const byte of Buffer.from(char, 'utf8')) bytes.push(byte);
    i += char.length;
  }
  return { bytes: escapes === 0 ? undefined : Uint8Array.from(bytes), malformed };
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f
  return -1;
}

/** Whether {@link Router.route} refused the target. */
export function isRejection(result: Route | RouteRejection): result is RouteRejection {
  return 'rejected' in result;
}
