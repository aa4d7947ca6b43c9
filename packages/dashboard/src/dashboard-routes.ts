import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type LabelFilter, type ModelSummary, readMetricsSnapshot, summarizeSnapshot } from '@llmeter/core';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { HistoryView, MetricsHistory } from './metrics-history.js';
import { dashboardHtml } from './page-html.js';
import { DASHBOARD_SCRIPT } from './page-script.js';
import { DASHBOARD_STYLE } from './page-style.js';

/** How the dashboard routes answer. */
export interface DashboardRoutesOptions {
  /** Models charted one by one; the rest are summed as `other`. Default 8 (a `top` query parameter overrides). */
  topN?: number;
  /** Width of the rolling window of quantiles and error ratios. Default 60 s. */
  windowMs?: number;
}

/** The JSON of `GET /data`. */
export interface DashboardData {
  /** When this was computed, ms since the epoch. */
  generatedAt: number;
  /** How often the page should ask again, in seconds. */
  refreshSeconds: number;
  /** The filter applied. */
  filter: LabelFilter;
  /** Exact totals since the proxy started, over the filtered series (from the registry, not the history). */
  total: ModelSummary;
  /** Every model passing the filter, most expensive first. */
  models: ModelSummary[];
  /** Models with calls that had no known price. */
  unpriced: { provider: string; model: string; requests: number }[];
  /** The values the filters can take (unfiltered). */
  filters: {
    providers: string[];
    models: { provider: string; model: string }[];
    labels: Record<string, string[]>;
  };
  charts: HistoryView;
}

const LABEL_PARAM = 'label.';
const MAX_TOP_N = 50;

/**
 * The built-in dashboard, as a Hono app to mount (e.g. at `/dashboard`): `GET /` the page, `GET /data` its JSON
 * ({@link DashboardData}; query parameters `provider`, `model`, `label.NAME` filter it, `top` sets how many
 * models get their own line), and the page's script and style, uPlot's included. The page needs no build step
 * and no network beyond this server.
 */
export function dashboardRoutes(history: MetricsHistory, options: DashboardRoutesOptions = {}): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    // Relative URLs in the page (its assets, `data`) resolve under the mount path, wherever it is mounted.
    const path = c.req.path.endsWith('/') ? c.req.path : `${c.req.path}/`;
    return c.html(dashboardHtml(path), 200, pageHeaders('no-cache'));
  });
  app.get('/data', async (c) => {
    const filter = filterFrom(c);
    const top = Number(c.req.query('top'));
    const topN = Number.isInteger(top) && top >= 0 ? Math.min(top, MAX_TOP_N) : (options.topN ?? 8);
    const snapshot = await readMetricsSnapshot(history.registry, history.prefix);
    const all = summarizeSnapshot(snapshot);
    const selected = summarizeSnapshot(snapshot, filter);
    const data: DashboardData = {
      generatedAt: Date.now(),
      refreshSeconds: Math.min(5, Math.max(1, history.intervalMs / 1000)),
      filter,
      total: selected.total,
      models: selected.models,
      unpriced: selected.models
        .filter((model) => model.unpricedRequests > 0)
        .map(({ provider, model, unpricedRequests }) => ({ provider, model, requests: unpricedRequests })),
      filters: {
        providers: all.providers,
        models: all.models
          .map(({ provider, model }) => ({ provider, model }))
          .sort((a, b) => a.model.localeCompare(b.model) || a.provider.localeCompare(b.provider)),
        labels: all.labelValues,
      },
      charts: history.query({ filter, topN, windowMs: options.windowMs }),
    };
    return c.json(data, 200, { 'cache-control': 'no-store' });
  });
  app.get('/dashboard.js', (c) =>
    c.body(DASHBOARD_SCRIPT, 200, { ...pageHeaders('no-cache'), 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/dashboard.css', (c) =>
    c.body(DASHBOARD_STYLE, 200, { ...pageHeaders('no-cache'), 'content-type': 'text/css; charset=utf-8' }),
  );
  app.get('/uplot.js', (c) => serveUplot(c, 'uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'));
  app.get('/uplot.css', (c) => serveUplot(c, 'uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'));
  return app;
}

/** Where the proxy serves the dashboard. */
export const DASHBOARD_PATH = '/dashboard';

/**
 * Mounts {@link dashboardRoutes} on `app` at `path` (default `/dashboard`), and redirects `path/` there (Hono
 * routes strictly, and a trailing slash is what people type).
 */
export function mountDashboard(
  app: Hono,
  history: MetricsHistory,
  options: DashboardRoutesOptions & { path?: string } = {},
): void {
  const { path = DASHBOARD_PATH, ...routeOptions } = options;
  app.get(`${path}/`, (c) => {
    const query = c.req.url.indexOf('?');
    return c.redirect(query === -1 ? path : `${path}${c.req.url.slice(query)}`, 301);
  });
  app.route(path, dashboardRoutes(history, routeOptions));
}

/** Whether a request target is the dashboard's (query string aside), for the proxy's own-route check. */
export function isDashboardRoute(target: string, path: string = DASHBOARD_PATH): boolean {
  const query = target.indexOf('?');
  const pathname = query === -1 ? target : target.slice(0, query);
  return pathname === path || pathname.startsWith(`${path}/`);
}

/** The filter from the query string: `provider`, `model`, `label.NAME`; empty values filter nothing. */
function filterFrom(c: Context): LabelFilter {
  const filter: LabelFilter = {};
  const provider = c.req.query('provider');
  const model = c.req.query('model');
  if (provider) filter.provider = provider;
  if (model) filter.model = model;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.req.query())) {
    if (name.startsWith(LABEL_PARAM) && name.length > LABEL_PARAM.length && value) {
      labels[name.slice(LABEL_PARAM.length)] = value;
    }
  }
  if (Object.keys(labels).length > 0) filter.labels = labels;
  return filter;
}

function pageHeaders(cacheControl: string): Record<string, string> {
  return {
    'cache-control': cacheControl,
    // Everything the page loads comes from this server; nothing inline runs.
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'self'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

const assets = new Map<string, Promise<string>>();

async function serveUplot(c: Context, specifier: string, contentType: string): Promise<Response> {
  let asset = assets.get(specifier);
  if (!asset) {
    // Read once from the installed package; a failed read is retried on the next request.
    asset = readFile(createRequire(import.meta.url).resolve(specifier), 'utf8');
    assets.set(specifier, asset);
    asset.catch(() => assets.delete(specifier));
  }
  try {
    return c.body(await asset, 200, { ...pageHeaders('public, max-age=86400'), 'content-type': contentType });
  } catch {
    return c.text(`${specifier} is not installed; the dashboard's charts need the uplot package`, 500);
  }
}
