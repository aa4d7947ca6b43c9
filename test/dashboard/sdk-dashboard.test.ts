import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDashboard, type Dashboard } from '@llmeter/dashboard';
import { instrument } from '@llmeter/sdk';
import { SIMULATOR_REPLY_HEADER, type Simulator, startSimulator } from '@llmeter/simulator';
import { Hono } from 'hono';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { Registry, register } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHART_PANELS } from '../../packages/dashboard/src/page-html.js';
import { launchChromium } from '../support/chromium.js';

// Published prices, USD per million tokens (OpenAI's price page).
const GPT_4O = { input: 2.5, output: 10 };
const GPT_4O_MINI = { input: 0.15, output: 0.6 };

// The traffic of `callModels`, priced by hand: one gpt-4o call, two gpt-4o-mini streams, a 429 and an
// unpriced model (which costs nothing).
const GPT_4O_USD = (1000 * GPT_4O.input + 500 * GPT_4O.output) / 1e6;
const GPT_4O_MINI_USD = 2 * ((2000 * GPT_4O_MINI.input + 300 * GPT_4O_MINI.output) / 1e6);
const TOTAL_USD = GPT_4O_USD + GPT_4O_MINI_USD;

const POLL = { timeout: 15_000, interval: 200 };

/** Calls the simulator through an instrumented client, so that every chart of the dashboard has something. */
async function callModels(openai: OpenAI, simulator: Simulator): Promise<void> {
  const ask = [{ role: 'user' as const, content: 'hi' }];
  // Held in flight for a while (scripted by header, outside the queue), for the in-flight chart.
  const slow = openai.chat.completions.create(
    { model: 'gpt-4o-mini', messages: ask, stream: true },
    {
      headers: {
        [SIMULATOR_REPLY_HEADER]: JSON.stringify({ usage: { input: 2000, output: 300 }, firstChunkDelayMs: 1200 }),
      },
    },
  );
  simulator.enqueue(
    { usage: { input: 1000, output: 500 } },
    { usage: { input: 2000, output: 300 }, firstChunkDelayMs: 40, chunkDelayMs: 5 },
    { status: 429, headers: { 'retry-after': '0' } },
    { usage: { input: 100, output: 50 } },
  );
  await openai.chat.completions.create({ model: 'gpt-4o', messages: ask });
  for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: ask, stream: true }));
  await expect(openai.chat.completions.create({ model: 'gpt-4o', messages: ask })).rejects.toThrow(/429/);
  await openai.chat.completions.create({ model: 'my-finetune', messages: ask });
  for await (const _ of await slow);
}

/** Opens the dashboard at `url` and checks the exact total cost, the table and that every chart drew data. */
async function expectDashboard(browser: Browser, url: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  try {
    await page.goto(url);
    await expect.poll(() => page.textContent('#total-cost'), POLL).toBe(`$${TOTAL_USD.toFixed(6)}`);
    expect(await page.textContent('#total-cost')).toBe('$0.008460');
    expect(Number(await page.getAttribute('#total-cost', 'data-usd'))).toBeCloseTo(TOTAL_USD, 12);
    expect(await page.textContent('#total-requests')).toBe('5');
    expect(await page.textContent('#total-errors')).toBe('20.0%');
    await expect
      .poll(async () => {
        const drawn = await Promise.all(
          CHART_PANELS.map(async (panel) => Number(await page.getAttribute(`#chart-${panel.id}`, 'data-nonzero'))),
        );
        return CHART_PANELS.filter((_, i) => !((drawn[i] ?? 0) > 0)).map((panel) => panel.id);
      }, POLL)
      .toEqual([]);
    for (const panel of CHART_PANELS) {
      expect(await page.locator(`#chart-${panel.id} canvas`).count(), panel.id).toBe(1);
    }
    const rows = await page
      .locator('#models tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.map((cells) => [cells[0], cells[1], cells[2], cells[12]])).toEqual([
      ['gpt-4o', 'openai', '2', `$${GPT_4O_USD.toFixed(6)}`],
      ['gpt-4o-mini', 'openai', '2', `$${GPT_4O_MINI_USD.toFixed(6)}`],
      ['my-finetune', 'openai', '1', '$0.000000'],
    ]);
    expect(await page.textContent('#unpriced-list')).toContain('my-finetune (openai): 1 calls');
    // No proxy in an SDK app: its health panel stays hidden.
    expect(await page.isHidden('#proxy-panel')).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('the dashboard served by an SDK user, in headless Chromium', () => {
  let simulator: Simulator | undefined;
  let browser: Browser | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    simulator = await startSimulator();
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await browser?.close();
    await simulator?.close();
  });

  it("from their own node:http server, over prom-client's global registry", async () => {
    if (!simulator || !browser) throw new Error('setup failed');
    // The defaults: instrument() records on the global registry, which the dashboard reads. (The simulator
    // stands in for OpenAI: without `provider`, the label would be its host.)
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${simulator.url}/v1`, maxRetries: 0 }), {
      provider: 'openai',
    });
    const dashboard: Dashboard = createDashboard({ history: { intervalMs: 200 } });
    dashboard.start();
    const server = createServer(async (req, res) => {
      if (await dashboard.handle(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    });
    const url = await listen(server);
    cleanups.push(async () => register.clear());
    cleanups.push(() => dashboard.close());
    cleanups.push(() => close(server));

    await callModels(openai, simulator);
    await expectDashboard(browser, `${url}/dashboard`);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it('from their own Hono app (@hono/node-server), at a path of their choosing, over a registry of their own', async () => {
    if (!simulator || !browser) throw new Error('setup failed');
    const registry = new Registry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${simulator.url}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
    });
    const dashboard = createDashboard({ registry, history: { intervalMs: 200 } });
    dashboard.start();
    const app = new Hono();
    app.get('/', (c) => c.text('my app'));
    app.route('/internal/llm', dashboard.app);
    // This test process is also the client: keep the global Request/Response the openai client uses.
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', overrideGlobalObjects: false });
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanups.push(() => dashboard.close());
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    await callModels(openai, simulator);
    await expectDashboard(browser, `${url}/internal/llm`);
    expect(await (await fetch(`${url}/`)).text()).toBe('my app');
  });
});
