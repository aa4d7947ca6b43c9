import { mkdirSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { createMeter } from '@llmeter/core';
import { isDashboardRoute } from '@llmeter/dashboard';
import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_PANELS } from '../../packages/dashboard/src/page-html.js';
import { launchChromium } from '../support/chromium.js';

// Published prices, USD per million tokens (OpenAI and Anthropic price pages).
const PRICES = {
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'claude-haiku-4-5': { input: 1, cacheRead: 0.1, cacheWrite: 1.25, output: 5 },
  'text-embedding-3-small': { input: 0.02 },
};

// The traffic below, priced by hand.
const GPT_4O_USD =
  (800 * PRICES['gpt-4o'].input + 200 * PRICES['gpt-4o'].cachedInput + 500 * PRICES['gpt-4o'].output) / 1e6;
const GPT_4O_MINI_USD = 2 * ((2000 * PRICES['gpt-4o-mini'].input + 300 * PRICES['gpt-4o-mini'].output) / 1e6);
const HAIKU_USD =
  (1000 * PRICES['claude-haiku-4-5'].input +
    3000 * PRICES['claude-haiku-4-5'].cacheRead +
    1000 * PRICES['claude-haiku-4-5'].cacheWrite +
    200 * PRICES['claude-haiku-4-5'].output) /
  1e6;
const EMBEDDING_USD = (1000 * PRICES['text-embedding-3-small'].input) / 1e6;
const TOTAL_USD = GPT_4O_USD + GPT_4O_MINI_USD + HAIKU_USD + EMBEDDING_USD;

/** How many values other than 0 each chart drew (its `data-nonzero`), by chart id. */
async function nonzeroPoints(page: Page): Promise<Record<string, number>> {
  const entries = await Promise.all(
    CHART_PANELS.map(async (panel) => [
      panel.id,
      Number(await page.getAttribute(`#chart-${panel.id}`, 'data-nonzero')),
    ]),
  );
  return Object.fromEntries(entries);
}

const POLL = { timeout: 15_000, interval: 200 };

describe('dashboard in headless Chromium', () => {
  let simulator: Simulator | undefined;
  let proxy: RunningProxy | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    simulator = await startSimulator();
    const registry = new Registry();
    proxy = await startProxy({
      port: 0,
      registry,
      logLevel: 'silent',
      labelHeaders: ['team'],
      upstreams: { openai: simulator.url, anthropic: simulator.url },
      budgets: [
        { labels: { team: 'search' }, usd: 1, period: 'month' },
        { labels: { team: 'ads' }, usd: 500, period: 'day' },
      ],
      dashboard: { intervalMs: 200 },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await simulator?.close();
  });

  it('shows the exact total cost, data in every chart, and filters by provider', async () => {
    if (!simulator || !proxy || !browser) throw new Error('setup failed');
    const openai = new OpenAI({
      apiKey: 'sk-test',
      baseURL: `${proxy.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-llmeter-label-team': 'search' },
    });
    const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: `${proxy.url}/anthropic`, maxRetries: 0 });
    const ask = [{ role: 'user' as const, content: 'hi' }];

    // One call held in flight for a while, so the in-flight chart has something; scripted by header, so the
    // queue below stays in order.
    const slow = openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: ask, stream: true, stream_options: { include_usage: true } },
      {
        headers: {
          'x-simulator-reply': JSON.stringify({ usage: { input: 2000, output: 300 }, firstChunkDelayMs: 1200 }),
        },
      },
    );
    simulator.enqueue(
      { usage: { input: 1000, cachedInput: 200, output: 500 } },
      { usage: { input: 2000, output: 300 }, firstChunkDelayMs: 40, chunkDelayMs: 5 },
      { usage: { input: 5000, cachedInput: 3000, cacheWrite: 1000, output: 200 }, firstChunkDelayMs: 60 },
      { usage: { input: 1000, output: 0 } },
      { status: 429, headers: { 'retry-after': '0' } },
      { usage: { input: 100, output: 50 } },
    );
    await openai.chat.completions.create({ model: 'gpt-4o', messages: ask });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: ask, stream: true });
    for await (const _ of stream);
    const messages = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      messages: ask,
      stream: true,
    });
    for await (const _ of messages);
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages: ask })).rejects.toThrow(/429/);
    await openai.chat.completions.create({ model: 'my-finetune', messages: ask });
    for await (const _ of await slow);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${proxy.url}/dashboard`);
    // Every chart drew values other than 0; the proxy records a call a moment after its client sees the end,
    // so the last call may take one more refresh to be counted.
    await expect
      .poll(async () => Object.values(await nonzeroPoints(page)).every((count) => count > 0), POLL)
      .toBe(true);
    await expect.poll(() => page.locator('#models tbody tr').count(), POLL).toBe(5);
    await expect.poll(() => page.textContent('#total-cost'), POLL).toBe(`$${TOTAL_USD.toFixed(6)}`);

    expect(await page.textContent('#total-cost')).toBe('$0.011780');
    expect(Number(await page.getAttribute('#total-cost', 'data-usd'))).toBeCloseTo(TOTAL_USD, 12);
    expect(await page.textContent('#total-requests')).toBe('7');
    for (const panel of CHART_PANELS) {
      const figure = page.locator(`#chart-${panel.id}`);
      expect(Number(await figure.getAttribute('data-nonzero')), panel.id).toBeGreaterThan(0);
      // uPlot drew a canvas with a legend entry per line.
      expect(await figure.locator('canvas').count(), panel.id).toBe(1);
    }
    expect(await page.textContent('#unpriced-list')).toContain('my-finetune (openai): 1 calls');
    // Rate-limit headroom from the simulator's headers (OpenAI 10,000 requests a minute, Anthropic 4,000), lowest
    // share first; the budgets, largest share spent first (every OpenAI call is team search's).
    const headroom = await page.locator('#headroom-list li').allTextContents();
    expect(headroom).toContainEqual(
      expect.stringMatching(
        /^gpt-4o-mini \(openai\) requests: 100\.0% left, 9,998 of 10,000, resets in \d+(\.\d\d)? m?s$/,
      ),
    );
    expect(headroom).toContainEqual(
      expect.stringMatching(/^claude-haiku-4-5 \(anthropic\) requests: 100\.0% left, 3,999 of 4,000, resets in /),
    );
    expect(await page.locator('#budgets-list li').allTextContents()).toEqual([
      `team=search (month): $${(GPT_4O_USD + GPT_4O_MINI_USD + EMBEDDING_USD).toFixed(6)} of $1.0000`,
      'team=ads (day): $0.000000 of $500.00',
    ]);
    // The proxy's own work: every call's overhead measured, nothing refused, every upstream reached.
    expect(await page.isVisible('#proxy-panel')).toBe(true);
    const proxyHealth = await page.locator('#proxy-list li').allTextContents();
    expect(proxyHealth).toHaveLength(3);
    expect(proxyHealth[0]).toMatch(/^overhead p99: \d+ (µs|ms) over 7 calls$/);
    expect(proxyHealth.slice(1)).toEqual(['refused: none', 'upstream connection errors: 0']);
    const firstRow = await page.locator('#models tbody tr').first().locator('td').allTextContents();
    expect(firstRow.slice(0, 3)).toEqual(['gpt-4o', 'openai', '2']);
    expect(firstRow[12]).toBe(`$${GPT_4O_USD.toFixed(6)}`);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });

    // Sorting: by requests, most first.
    await page.click('#models th[data-key="requests"]');
    expect(await page.locator('#models tbody tr').first().locator('td').first().textContent()).toBe('gpt-4o-mini');

    // Filters: the provider select narrows everything to Anthropic's calls; the label filter to team=search.
    await page.selectOption('#filter-provider', 'anthropic');
    await expect.poll(() => page.textContent('#total-cost'), POLL).toBe(`$${HAIKU_USD.toFixed(6)}`);
    expect(page.url()).toContain('provider=anthropic');
    expect(await page.locator('#models tbody tr').count()).toBe(1);
    // Headroom follows the provider filter (budgets do not: a budget is not a provider's).
    expect(await page.textContent('#headroom-list')).not.toContain('openai');
    expect(await page.textContent('#headroom-list')).toContain('claude-haiku-4-5 (anthropic)');
    await page.selectOption('#filter-provider', '');
    await page.selectOption('select[data-label="team"]', 'search');
    await expect
      .poll(() => page.textContent('#total-cost'), POLL)
      .toBe(`$${(GPT_4O_USD + GPT_4O_MINI_USD + EMBEDDING_USD).toFixed(6)}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('serves the page at /dashboard and /dashboard/, the JSON at /dashboard/data, with a strict CSP', async () => {
    if (!proxy) throw new Error('setup failed');
    const page = await fetch(`${proxy.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<base href="/dashboard/">');
    const slash = await fetch(`${proxy.url}/dashboard/?provider=openai`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('/dashboard?provider=openai');
    const data = (await (
      await fetch(`${proxy.url}/dashboard/data?provider=openai&label.team=search&top=2`)
    ).json()) as {
      filter: unknown;
      charts: { spend: { name: string }[] };
    };
    expect(data.filter).toEqual({ provider: 'openai', labels: { team: 'search' } });
    expect(data.charts.spend.length).toBeLessThanOrEqual(4);
    expect((await fetch(`${proxy.url}/dashboard/uplot.js`)).headers.get('content-type')).toContain('javascript');
    expect(isDashboardRoute('/dashboard?x=1')).toBe(true);
    expect(isDashboardRoute('/dashboard/data')).toBe(true);
    expect(isDashboardRoute('/dashboards')).toBe(false);
    expect(isDashboardRoute('/v1/dashboard')).toBe(false);
  });

  it('stays usable with 200 models: top lines plus other in charts, every model in the table', async () => {
    if (!browser || !simulator) throw new Error('setup failed');
    const registry = new Registry();
    const meter = createMeter({ registry });
    const many = await startProxy({
      port: 0,
      registry,
      logLevel: 'silent',
      upstreams: { openai: simulator.url },
      dashboard: { intervalMs: 200 },
    });
    try {
      for (let m = 0; m < 200; m++) {
        meter.record({
          provider: m % 2 === 0 ? 'openai' : 'vllm',
          operation: 'chat',
          model: m === 0 ? 'gpt-4o' : `model-${String(m).padStart(3, '0')}`,
          stream: true,
          startedAt: 0,
          firstTokenAt: 100 + m,
          endedAt: 500 + 10 * m,
          usage: { input: 1000 * (m + 1), output: 100, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
          usageSource: 'reported',
        });
      }
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${many.url}/dashboard`);
      await expect.poll(() => page.locator('#models tbody tr').count(), POLL).toBe(200);
      await expect
        .poll(async () => Number(await page.getAttribute('#chart-requests', 'data-nonzero')), POLL)
        .toBeGreaterThan(0);
      // The requests chart: 8 models, other and total, not 200 lines.
      expect(await page.locator('#chart-requests .u-legend .u-series').count()).toBe(1 + 8 + 2);
      expect(await page.locator('#filter-model option').count()).toBe(201);
      await page.close();
    } finally {
      await many.close();
    }
  });
});
