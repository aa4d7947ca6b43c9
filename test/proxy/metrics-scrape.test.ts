import { connect, type Socket } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';

// `/metrics` renders cannot pile up: scrapes that arrive during a render share it, and a scrape whose client
// hung up (a scraper that timed out while the proxy was busy) is not rendered at all.

/** A registry whose first metric holds every render until `open()`, counting the renders that reached it. */
function gatedRegistry() {
  const registry = new Registry();
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const renders = { count: 0 };
  new Gauge({
    name: 'test_gate',
    help: 'holds the render',
    registers: [registry],
    async collect() {
      renders.count++;
      await opened;
      this.set(1);
    },
  });
  return { registry, renders, open };
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sends `GET /metrics` on a raw connection and half-closes it at once, as a scraper that gave up does. */
function hangUpScrape(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, () => resolve(socket));
    });
    socket.on('error', reject);
    socket.resume();
  });
}

let harness: ProxyHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('GET /metrics under load', () => {
  it('gives concurrent scrapes one render', async () => {
    const { registry, renders, open } = gatedRegistry();
    harness = await startHarness({ registry });
    const url = `${harness.proxy.url}/metrics`;
    const scrapes = Array.from({ length: 5 }, () => fetch(url).then(async (r) => [r.status, await r.text()]));
    await until(() => renders.count === 1);
    // The other four reach the proxy while the first render waits at the gate.
    await new Promise((resolve) => setTimeout(resolve, 300));
    open();
    const answers = await Promise.all(scrapes);
    expect(renders.count).toBe(1);
    expect(answers.map(([status]) => status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map(([, text]) => text)).size).toBe(1);
    expect(answers[0]?.[1]).toContain('test_gate 1\n');
    expect(answers[0]?.[1]).toContain('# TYPE llm_requests_total counter');
  });

  it('renders nothing for scrapes whose clients hung up while the proxy was busy', async () => {
    const { registry, renders, open } = gatedRegistry();
    open();
    harness = await startHarness({ registry });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => hangUpScrape(harness?.proxy.port ?? 0)));
    // The event loop busy (as during a long render) while the requests and the ends of their connections arrive.
    const busyUntil = performance.now() + 150;
    while (performance.now() < busyUntil) {
      // spin
    }
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve))));
    expect(renders.count).toBe(0);
    // A scraper that stays gets its metrics.
    const text = await harness.metrics();
    expect(text).toContain('test_gate 1\n');
    expect(renders.count).toBe(1);
  });
});

describe('the series budget, from the proxy config', () => {
  it('folds label sets past limits.series into the overflow one and counts them', async () => {
    harness = await startHarness({ labelHeaders: ['team'], limits: { series: 2 } });
    for (const team of ['a', 'b', 'c', 'd', 'c']) {
      const response = await fetch(`${harness.proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-llmeter-label-team': team },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    await settled(harness);
    const text = await harness.metrics();
    expect(findSamples(text, 'llm_requests_total').map((s) => [s.labels.model, s.labels.team, s.value])).toEqual([
      ['gpt-4o', 'a', 1],
      ['gpt-4o', 'b', 1],
      ['other', 'other', 3],
    ]);
    expect(
      findSamples(text, 'llm_series_overflow_total').map((s) => [s.labels.provider, s.labels.operation, s.value]),
    ).toEqual([['openai', 'chat', 3]]);
    // The simulator's default usage, 10 input tokens a call: every call counted.
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(50);
  });
});
