import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { DASHBOARD_PATH, type Dashboard, isDashboardRoute } from '@llmeter/dashboard';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** Paths served by llmeter itself, never forwarded (and `/dashboard`, with what is below it). */
export const OWN_ROUTES: ReadonlySet<string> = new Set(['/metrics', '/healthz']);

/** Whether a request target is one of llmeter's own routes (query string aside). */
export function isOwnRoute(target: string): boolean {
  const query = target.indexOf('?');
  return OWN_ROUTES.has(query === -1 ? target : target.slice(0, query)) || isDashboardRoute(target);
}

/** What the own routes need. */
export interface OwnRoutesOptions {
  registry: Registry;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** True once a shutdown started: `/healthz` then answers 503, so a load balancer stops sending traffic. */
  shuttingDown: () => boolean;
  /** The dashboard served at `/dashboard`; none when undefined. */
  dashboard?: Dashboard | undefined;
}

/**
 * llmeter's own routes, on Hono: `GET /metrics` (Prometheus text format), `GET /healthz` and the dashboard
 * (`/dashboard`). Only these go
 * through Hono's Request/Response layer; proxied traffic never does.
 */
export function createOwnRoutes(options: OwnRoutesOptions): Hono {
  const app = new Hono();
  const expected = options.metricsToken === undefined ? undefined : digest(options.metricsToken);
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
    const text = await options.registry.metrics();
    return c.body(text, 200, { 'content-type': options.registry.contentType });
  });
  app.get('/healthz', (c) =>
    options.shuttingDown() ? c.json({ status: 'shutting_down' }, 503) : c.json({ status: 'ok' }),
  );
  if (options.dashboard) app.route(DASHBOARD_PATH, options.dashboard.app);
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/** A Node request listener serving {@link createOwnRoutes}. */
export function ownRoutesListener(
  options: OwnRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // Not overriding the global Request/Response: the proxy may run inside someone else's process (tests, demo).
  return getRequestListener(createOwnRoutes(options).fetch, { overrideGlobalObjects: false });
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
