import type { LabelFilter } from '@llmeter/core';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { readDashboardData } from './dashboard-data.js';
import type { MetricsHistory } from './metrics-history.js';
import { DashboardAssetError, readPageAsset } from './page-assets.js';
import { pageHeaders } from './page-headers.js';
import { dashboardHtml } from './page-html.js';

/** How the dashboard routes answer. */
export interface DashboardRoutesOptions {
  /** Models charted one by one; the rest are summed as `other`. Default 8 (a `top` query parameter overrides). */
  topN?: number | undefined;
  /** Width of the rolling window of quantiles and error ratios. Default 60 s. */
  windowMs?: number | undefined;
}

/** Where the proxy serves the dashboard, and the default mount path of {@link createDashboard}'s handler. */
export const DASHBOARD_PATH = '/dashboard';

const LABEL_PARAM = 'label.';
const MAX_TOP_N = 50;

/**
 * The dashboard as a Hono app, to mount at any path (`app.route('/dashboard', routes)`): `GET /` the page,
 * `GET /data` its JSON ({@link DashboardData}; query parameters `provider`, `model`, `label.NAME` filter it,
 * `top` sets how many models get their own line), the page's ES modules under `page/`, its style and uPlot's
 * files. A path ending in `/` (`/dashboard/`, what people type) redirects to the same without it; any other
 * path is left to the app mounting it (its 404). {@link createDashboard} builds this with its history.
 *
 * @example
 * ```ts
 * const history = new MetricsHistory(register);
 * history.start();
 * app.route('/ops/llm', dashboardRoutes(history, { topN: 5 }));
 * ```
 */
export function dashboardRoutes(history: MetricsHistory, options: DashboardRoutesOptions = {}): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    // The page's URLs (its files, `data`) are relative to a <base> of the mount path, wherever it is mounted.
    const path = c.req.path.endsWith('/') ? c.req.path : `${c.req.path}/`;
    return c.html(dashboardHtml(path), 200, pageHeaders('no-cache'));
  });
  app.get('/data', async (c) => {
    const top = Number(c.req.query('top'));
    const topN = Number.isInteger(top) && top >= 0 ? Math.min(top, MAX_TOP_N) : (options.topN ?? 8);
    const data = await readDashboardData(history, { filter: filterFrom(c), topN, windowMs: options.windowMs });
    return c.json(data, 200, { 'cache-control': 'no-store' });
  });
  const asset = async (c: Context, name: string, next: () => Promise<void>) => {
    try {
      const found = await readPageAsset(name);
      if (!found) return next();
      return c.body(found.body, 200, { ...pageHeaders(found.cacheControl), 'content-type': found.contentType });
    } catch (error) {
      if (!(error instanceof DashboardAssetError)) throw error;
      return c.text(error.message, 500);
    }
  };
  for (const name of ['dashboard.css', 'uplot.js', 'uplot.css']) app.get(`/${name}`, (c, next) => asset(c, name, next));
  app.get('/page/:file', (c, next) => asset(c, `page/${c.req.param('file')}`, next));
  app.get('/*', async (c, next) => {
    // `/dashboard/` is what people type, but Hono routes strictly: no path here ends in a slash, so drop it.
    // (Never to `//host` or `/\host`, which a browser would read as another site.)
    const path = c.req.path;
    if (!path.endsWith('/') || !/^\/[^/\\]/.test(path)) return next();
    const query = c.req.url.indexOf('?');
    return c.redirect(`${path.slice(0, -1)}${query === -1 ? '' : c.req.url.slice(query)}`, 301);
  });
  return app;
}

/** Whether a request target is under `path` (query string aside): the proxy's check for its own routes. */
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
