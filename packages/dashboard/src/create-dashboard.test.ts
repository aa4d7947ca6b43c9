import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, type Meter } from '@llmeter/core';
import { Hono } from 'hono';
import { Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard, type DashboardOptions } from './create-dashboard.js';
import type { DashboardData } from './dashboard-data.js';
import { DASHBOARD_CSP } from './page-headers.js';

// Published price of gpt-4o, USD per million tokens: 1000 input and 500 output tokens cost $0.0075.
const GPT_4O_CALL_USD = (1000 * 2.5 + 500 * 10) / 1e6;

function record(meter: Meter, fields: { model?: string; labels?: Record<string, string> } = {}): void {
  meter.record({
    provider: 'openai',
    operation: 'chat',
    model: fields.model ?? 'gpt-4o',
    stream: false,
    startedAt: 0,
    endedAt: 300,
    usage: { input: 1000, output: 500, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
    usageSource: 'reported',
    labels: fields.labels,
  });
}

interface Running {
  url: string;
  dashboard: Dashboard;
  /** How often the handler passed a request on to `next`. */
  passedOn: () => number;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node:http server whose requests go through the dashboard's handler, then its own 404. */
async function serve(options: DashboardOptions): Promise<Running> {
  const dashboard = createDashboard(options);
  let passed = 0;
  const server: Server = createServer(async (req, res) => {
    const handled = await dashboard.handle(req, res, () => {
      passed += 1;
    });
    if (!handled) res.writeHead(418, { 'content-type': 'text/plain' }).end('the app itself');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await dashboard.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, dashboard, passedOn: () => passed };
}

describe('createDashboard', () => {
  it('serves the page, its data and its files at /dashboard from a node:http server, with a strict CSP', async () => {
    const registry = new Registry();
    record(createMeter({ registry }));
    const { url, passedOn } = await serve({ registry });

    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self';");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<base href="/dashboard/">');
    expect(html).toContain('<script type="module" src="page/main.js"></script>');
    // Nothing inline runs: every script has a src.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();

    const data = (await (await fetch(`${url}/dashboard/data`)).json()) as DashboardData;
    expect(data.total.requests).toBe(1);
    expect(data.total.costUsd).toBeCloseTo(GPT_4O_CALL_USD, 12);
    expect(data.models.map((model) => model.model)).toEqual(['gpt-4o']);

    for (const [path, type] of [
      ['page/main.js', 'text/javascript; charset=utf-8'],
      ['page/format.js', 'text/javascript; charset=utf-8'],
      ['page/main.js.map', 'application/json; charset=utf-8'],
      ['uplot.js', 'text/javascript; charset=utf-8'],
      ['uplot.css', 'text/css; charset=utf-8'],
      ['dashboard.css', 'text/css; charset=utf-8'],
    ] as const) {
      const response = await fetch(`${url}/dashboard/${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('content-security-policy'), path).toBe(DASHBOARD_CSP);
      expect((await response.text()).length, path).toBeGreaterThan(100);
    }
    // The page's entry module imports its siblings, relative to itself.
    expect(await (await fetch(`${url}/dashboard/page/main.js`)).text()).toContain("from './format.js'");
    expect(passedOn()).toBe(0);
  });

  it('answers 404 for files it does not serve, and leaves other paths to the app', async () => {
    const { url, passedOn } = await serve({ registry: new Registry() });
    for (const path of [
      '/dashboard/page/evil.js',
      '/dashboard/page/main.ts',
      '/dashboard/page/page-data.d.ts',
      '/dashboard/page/..%2Fpackage.json',
      '/dashboard/page/%2e%2e/index.js',
      '/dashboard/index.js',
      '/dashboard/nope',
    ]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(404);
    }
    expect(passedOn()).toBe(0);
    for (const path of ['/', '/dashboards', '/v1/dashboard', '/metrics']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(418);
      expect(await response.text(), path).toBe('the app itself');
    }
    expect(passedOn()).toBe(4);
  });

  it('redirects /dashboard/ to /dashboard, keeping the filter, and never to another site', async () => {
    const { url } = await serve({ registry: new Registry() });
    const slash = await fetch(`${url}/dashboard/?provider=openai`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('/dashboard?provider=openai');
    const app = new Hono().route('/', createDashboard({ registry: new Registry() }).app);
    const sneaky = await app.request('//evil.example/');
    expect(sneaky.status).toBe(404);
    expect(sneaky.headers.get('location')).toBeNull();
  });

  it('serves under any path: a node:http handler at /ops/llm, a Hono app at /internal/llm', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'] });
    record(meter, { labels: { team: 'search' } });
    record(meter, { model: 'gpt-4o-mini', labels: { team: 'ads' } });
    const { url } = await serve({ registry, path: '/ops/llm' });
    expect(await (await fetch(`${url}/ops/llm`)).text()).toContain('<base href="/ops/llm/">');
    expect((await fetch(`${url}/ops/llm/page/main.js`)).status).toBe(200);
    expect((await fetch(`${url}/dashboard`)).status).toBe(418);

    const dashboard = createDashboard({ registry, topN: 1 });
    const app = new Hono();
    app.get('/', (c) => c.text('home'));
    app.route('/internal/llm', dashboard.app);
    const page = await app.request('/internal/llm');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(await page.text()).toContain('<base href="/internal/llm/">');
    expect((await app.request('/internal/llm/page/charts.js')).status).toBe(200);
    expect((await app.request('/internal/llm/page/nope.js')).status).toBe(404);
    expect((await app.request('/internal/llm/')).headers.get('location')).toBe('/internal/llm');
    expect(await (await app.request('/')).text()).toBe('home');

    // The data route filters by the query string and charts `topN` models (the option, or `top`).
    const filtered = (await (await app.request('/internal/llm/data?label.team=search')).json()) as DashboardData;
    expect(filtered.filter).toEqual({ labels: { team: 'search' } });
    expect(filtered.models.map((model) => model.model)).toEqual(['gpt-4o']);
    expect(filtered.filters.labels).toEqual({ team: ['ads', 'search'] });
    await dashboard.history.sample();
    await dashboard.history.sample();
    const charts = async (query: string) =>
      ((await (await app.request(`/internal/llm/data${query}`)).json()) as DashboardData).charts.spend.map(
        (line) => line.name,
      );
    expect(await charts('')).toEqual(['gpt-4o', 'other', 'total']);
    expect(await charts('?top=2')).toEqual(['gpt-4o', 'gpt-4o-mini', 'total']);
  });

  it("reads prom-client's global registry by default, as instrument() records on it", async () => {
    const meter = createMeter();
    cleanups.push(async () => register.clear());
    record(meter);
    const { url } = await serve({});
    const data = (await (await fetch(`${url}/dashboard/data`)).json()) as DashboardData;
    expect(data.total.requests).toBe(1);
    expect(data.total.costUsd).toBeCloseTo(GPT_4O_CALL_USD, 12);
  });

  it('samples from start() until close(), at the history interval, with a custom metric prefix', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, prefix: 'app_llm_' });
    const { dashboard } = await serve({ registry, prefix: 'app_llm_', history: { intervalMs: 20 } });
    expect(dashboard.history.size).toBe(0);
    dashboard.start();
    record(meter);
    await expect.poll(() => dashboard.history.size, { timeout: 2000, interval: 10 }).toBeGreaterThanOrEqual(3);
    await dashboard.close();
    const size = dashboard.history.size;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(dashboard.history.size).toBe(size);
    const spend = dashboard.history.query().spend.find((line) => line.name === 'total');
    expect(spend?.values.at(-1)).toBe(GPT_4O_CALL_USD);
  });

  it('refuses a path that does not start with / or ends with one', () => {
    for (const path of ['dashboard', '/dashboard/', '/', '/a?b']) {
      expect(() => createDashboard({ registry: new Registry(), path }), path).toThrow(RangeError);
    }
  });
});
