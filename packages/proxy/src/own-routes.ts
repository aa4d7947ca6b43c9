import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { DASHBOARD_PATH, type Dashboard, isDashboardRoute } from '@llmeter/dashboard';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { forbiddenHostBody } from './host-guard.js';
import { MetricsExposition } from './metrics-exposition.js';

/** Paths served by llmeter itself, never forwarded (and `/dashboard`, with what is below it). */
export const OWN_ROUTES: ReadonlySet<string> = new Set(['/metrics', '/healthz']);

/** Whether a request target is one of llmeter's own routes (query string aside). */
export function isOwnRoute(target: string): boolean {
  return OWN_ROUTES.has(pathOf(target)) || isDashboardRoute(target);
}

/** What the own routes need. */
export interface OwnRoutesOptions {
  registry: Registry;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /**
   * Whether a `Host` header (undefined when absent) may reach the own routes other than `/healthz`: a guard against
   * DNS rebinding (`hostAllowList` in host-guard.ts). Others get a 403.
   */
  hostAllowed: (host: string | undefined) => boolean;
  /** Told of each request refused for its `Host` (to count it in `*_proxy_refused_total`). */
  onHostRefused?: (() => void) | undefined;
  /** True once a shutdown started: `/healthz` then answers 503, so a load balancer stops sending traffic. */
  shuttingDown: () => boolean;
  /** The dashboard served at `/dashboard`; none when undefined. */
  dashboard?: Dashboard | undefined;
  /**
   * Renders `/metrics` (undefined when `signal` aborted first). Default: the registry, in single flight
   * ({@link MetricsExposition}); a cluster worker serves the sum over every worker instead.
   */
  renderMetrics?: ((signal: AbortSignal) => Promise<string | readonly Uint8Array[] | undefined>) | undefined;
}

/**
 * llmeter's own routes, on Hono: `GET /metrics` (Prometheus text format), `GET /healthz` and the dashboard
 * (`/dashboard`). Only these go
 * through Hono's Request/Response layer; proxied traffic never does.
 */
export function createOwnRoutes(options: OwnRoutesOptions): Hono {
  const app = new Hono();
  const expected = options.metricsToken === undefined ? undefined : digest(options.metricsToken);
  const exposition = new MetricsExposition(options.registry);
  const renderMetrics = options.renderMetrics ?? ((signal: AbortSignal) => exposition.renderBuffers(signal));
  app.get('/metrics', async (c) => {
    if (expected !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!timingSafeEqual(digest(token), expected)) {
        return c.json({ error: 'unauthorized: /metrics needs "Authorization: Bearer <metrics token>"' }, 401, {
          'www-authenticate': 'Bearer realm="llmeter metrics"',
        });
      }
    }
    const text = await renderMetrics(clientGone(c.env, c.req.raw.signal));
    // The scraper hung up: nothing was rendered for it, and nobody reads the answer.
    // (499 as nginx logs it: the client closed the request.)
    if (text === undefined) return new Response(null, { status: 499 });
    const pieces = typeof text === 'string' ? [Buffer.from(text)] : text;
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing === undefined)
      return c.body(Buffer.concat(pieces), 200, { 'content-type': options.registry.contentType });
    // Straight to node:http, piece by piece: a Response would copy the whole text (tens of MB at the default
    // series budget) into one buffer first, and pieces that did not change since the last scrape are reused.
    outgoing.writeHead(200, {
      'content-type': options.registry.contentType,
      'content-length': pieces.reduce((length, piece) => length + piece.byteLength, 0),
    });
    outgoing.cork();
    for (const piece of pieces) outgoing.write(piece);
    outgoing.end();
    return RESPONSE_ALREADY_SENT;
  });
  app.get('/healthz', (c) =>
    options.shuttingDown() ? c.json({ status: 'shutting_down' }, 503) : c.json({ status: 'ok' }),
  );
  if (options.dashboard) app.route(DASHBOARD_PATH, options.dashboard.app);
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/**
 * A Node request listener serving {@link createOwnRoutes}, behind the `Host` check: a request whose `Host`
 * `hostAllowed` refuses gets a JSON 403 saying how to allow it, except on `/healthz`.
 */
export function ownRoutesListener(
  options: OwnRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // Not overriding the global Request/Response: the proxy may run inside someone else's process (tests, demo).
  const listener = getRequestListener(createOwnRoutes(options).fetch, { overrideGlobalObjects: false });
  return (req, res) => {
    // Checked on the raw header, before Hono builds a URL from it. `/healthz` answers any Host: load balancers
    // probe it with their own, and it tells nothing.
    const host = req.headers.host;
    if (options.hostAllowed(host) || pathOf(req.url ?? '/') === '/healthz') return listener(req, res);
    options.onHostRefused?.();
    res.writeHead(403, { 'content-type': 'application/json' }).end(forbiddenHostBody(host ?? ''));
    return Promise.resolve();
  };
}

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * Aborts when the client of a request is gone: through `node:http` (the proxy), when its connection ends or
 * closes before the response is finished, including before the handler ran (`node:http` itself treats a client
 * that half-closes as gone); elsewhere, the Request's own signal.
 */
function clientGone(env: unknown, requestSignal: AbortSignal): AbortSignal {
  const bindings = env as Partial<HttpBindings> | undefined;
  const incoming = bindings?.incoming;
  const outgoing = bindings?.outgoing;
  if (incoming === undefined || outgoing === undefined) return requestSignal;
  const socket = incoming.socket;
  if (outgoing.destroyed || incoming.destroyed || socket.destroyed || socket.readableEnded) return AbortSignal.abort();
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  socket.once('end', abort);
  socket.once('close', abort);
  outgoing.once('close', () => {
    socket.off('end', abort);
    socket.off('close', abort);
    if (!outgoing.writableFinished) abort();
  });
  return controller.signal;
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
