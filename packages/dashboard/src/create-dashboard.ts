import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { type Registry, register } from 'prom-client';
import { DASHBOARD_PATH, type DashboardRoutesOptions, dashboardRoutes, isDashboardRoute } from './dashboard-routes.js';
import { MetricsHistory, type MetricsHistoryOptions } from './metrics-history.js';

/** How the history behind a dashboard samples (its metric prefix is the dashboard's `prefix`). */
export type DashboardHistoryOptions = Omit<MetricsHistoryOptions, 'prefix'>;

/** What {@link createDashboard} serves, and how. Every field is optional. */
export interface DashboardOptions extends DashboardRoutesOptions {
  /** The registry the llmeter metrics are on. Default: prom-client's global `register`, as `instrument()`'s. */
  registry?: Registry | undefined;
  /** Prefix of the llmeter metrics, as given to `instrument()` or `createMeter()`. Default `llm_`. */
  prefix?: string | undefined;
  /** Sampling of the in-memory history the charts are drawn from: default a sample every 5 s, one hour kept. */
  history?: DashboardHistoryOptions | undefined;
  /** Where {@link Dashboard.handle} serves the dashboard (`app` is wherever you mount it). Default `/dashboard`. */
  path?: string | undefined;
}

/** A node:http handler: serves the request and resolves true when it is the dashboard's, else calls `next`. */
export type DashboardHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>;

/** The built-in dashboard over one registry: its routes, and the history sampler behind the charts. */
export interface Dashboard {
  /** The routes as a Hono app, to mount at any path: `app.route('/dashboard', dashboard.app)`. */
  readonly app: Hono;
  /**
   * Serves the dashboard at `path` from a `node:http` server; with its `next`, it also fits Connect-style
   * middleware (`app.use(dashboard.handle)`). For a request under `path` it answers and resolves true; for any
   * other it calls `next` (when given) and resolves false, leaving the response to you.
   */
  readonly handle: DashboardHandler;
  /** Where {@link Dashboard.handle} serves the dashboard. */
  readonly path: string;
  /** The metrics history behind the charts (the totals come from the registry itself). */
  readonly history: MetricsHistory;
  /** Whether a request target (`req.url`) is under {@link Dashboard.path}, query string aside. */
  isRoute(target: string): boolean;
  /** Starts sampling the registry: now, then every interval. The timer does not keep Node alive. */
  start(): void;
  /** Stops sampling; the dashboard still answers, its charts stop moving. */
  close(): Promise<void>;
}

/**
 * The built-in dashboard, served from your own app: one page (totals, cost and latency charts, per-model table,
 * filters) over the llmeter metrics of a prom-client registry, with no Prometheus and no proxy. `llmeter proxy`
 * serves this same dashboard at `/dashboard`.
 *
 * Mount `app` on a Hono app, or give `handle` the requests of a `node:http` server; then call `start()` so the
 * charts get samples (totals are exact either way), and `close()` when shutting down. The page sends no token,
 * so serve it where the metrics may be seen.
 *
 * @example
 * ```ts
 * // An instrumented client records on prom-client's global registry, which the dashboard reads by default.
 * import { createServer } from 'node:http';
 * import { createDashboard } from '@llmeter/dashboard';
 * import { instrument } from '@llmeter/sdk';
 * import OpenAI from 'openai';
 *
 * const openai = instrument(new OpenAI());
 * const dashboard = createDashboard();
 * dashboard.start();
 * createServer(async (req, res) => {
 *   if (await dashboard.handle(req, res)) return; // http://localhost:3000/dashboard
 *   res.writeHead(404).end();
 * }).listen(3000);
 * ```
 *
 * @example
 * ```ts
 * // On a Hono app, at a path of your choosing.
 * import { serve } from '@hono/node-server';
 * import { createDashboard } from '@llmeter/dashboard';
 * import { Hono } from 'hono';
 *
 * const dashboard = createDashboard({ history: { intervalMs: 2000 }, topN: 5 });
 * dashboard.start();
 * const app = new Hono().route('/ops/llm', dashboard.app); // http://localhost:3000/ops/llm
 * serve({ fetch: app.fetch, port: 3000 });
 * ```
 */
export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const { registry = register, prefix, history: historyOptions, path = DASHBOARD_PATH, ...routeOptions } = options;
  if (!/^\/[^?#]*[^/?#]$/.test(path)) {
    throw new RangeError(`createDashboard: path must start with / and not end with one, got ${JSON.stringify(path)}`);
  }
  const history = new MetricsHistory(registry, { ...historyOptions, prefix });
  const app = dashboardRoutes(history, routeOptions);
  const server = new Hono().route(path, app);
  server.notFound((c) => c.text('not found', 404));
  // Not overriding the global Request/Response: this runs inside someone else's process.
  const listener = getRequestListener(server.fetch, { overrideGlobalObjects: false });
  const isRoute = (target: string): boolean => isDashboardRoute(target, path);
  const handle: DashboardHandler = async (req, res, next) => {
    if (!isRoute(req.url ?? '/')) {
      next?.();
      return false;
    }
    await listener(req, res);
    return true;
  };
  return {
    app,
    handle,
    path,
    history,
    isRoute,
    start: () => history.start(),
    close: () => history.stop(),
  };
}
