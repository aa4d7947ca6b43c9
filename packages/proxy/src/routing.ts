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
 * dot segments are refused so that no path can climb out of an upstream URL's own base path.
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
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? '' : target.slice(queryAt);
    if (hasDotSegment(path)) return { rejected: 'the request path must not contain "." or ".." segments' };

    const secondSlash = path.indexOf('/', 1);
    const firstSegment = secondSlash === -1 ? path.slice(1) : path.slice(1, secondSlash);
    const named = this.#byName.get(firstSegment);
    const upstream = named ?? this.#default;
    const apiPath = named === undefined ? path : secondSlash === -1 ? '/' : path.slice(secondSlash);
    return { upstream, apiPath, upstreamPath: `${this.#basePaths.get(upstream) ?? ''}${apiPath}${query}` };
  }
}

/** Whether a path has a `.` or `..` segment, spelled plainly or percent-encoded, split by `/` or `\`. */
function hasDotSegment(path: string): boolean {
  if (!path.includes('.') && !path.includes('%')) return false;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed escapes are forwarded as they are; the upstream decides what they mean, within its own host.
  }
  for (const candidate of decoded === path ? [path] : [path, decoded]) {
    for (const segment of candidate.split(/[/\\]/)) {
      if (segment === '.' || segment === '..') return true;
    }
  }
  return false;
}

/** Whether {@link Router.route} refused the target. */
export function isRejection(result: Route | RouteRejection): result is RouteRejection {
  return 'rejected' in result;
}
