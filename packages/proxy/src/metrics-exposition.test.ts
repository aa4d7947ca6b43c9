import { createMeter } from '@llmeter/core';
import { Gauge, type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsExposition } from './metrics-exposition.js';

/** A registry whose `gate` metric holds every render until {@link gated} `open()`s, counting what is read. */
function gated(registry: Registry = new Registry()) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reads = { gate: 0, after: 0 };
  new Gauge({
    name: 'gate',
    help: 'holds the render',
    registers: [registry],
    async collect() {
      reads.gate++;
      await opened;
      this.set(1);
    },
  });
  new Gauge({
    name: 'after_gate',
    help: 'read after the gate',
    registers: [registry],
    collect() {
      reads.after++;
      this.set(2);
    },
  });
  return { registry, reads, open };
}

/** Resolves once `check` holds, polling every turn of the event loop (at most 1 s). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('MetricsExposition', () => {
  it('renders exactly what registry.metrics() renders', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ instance: 'a' });
    const meter = createMeter({ registry, labelNames: ['team'] });
    meter.record({
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4o',
      stream: true,
      startedAt: 0,
      firstTokenAt: 120,
      endedAt: 900,
      usageSource: 'reported',
      usage: { input: 10, output: 5, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
      labels: { team: 'ads' },
    });
    const text = await new MetricsExposition(registry).render();
    expect(text).toBe(await registry.metrics());
    expect(text).toMatch(/^llm_requests_total\{.*team="ads",status="ok",instance="a"\} 1$/m);
    expect(await new MetricsExposition(new Registry()).render()).toBe('\n');
    const openMetricsRegistry = new Registry<OpenMetricsContentType>();
    openMetricsRegistry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    // What an app that exposes OpenMetrics would hand over; llmeter's options take prom-client's default type.
    const openMetrics = openMetricsRegistry as unknown as Registry;
    createMeter({ registry: openMetrics });
    expect(await new MetricsExposition(openMetrics).render()).toBe(await openMetrics.metrics());
  });

  it('gives scrapes that arrive during a render that render’s text, rendered once', async () => {
    const { registry, reads, open } = gated();
    const exposition = new MetricsExposition(registry);
    const scrapes = Array.from({ length: 5 }, () => exposition.render(new AbortController().signal));
    await until(() => exposition.waiting === 5);
    expect(reads).toEqual({ gate: 1, after: 0 });
    open();
    const texts = await Promise.all(scrapes);
    expect(new Set(texts)).toEqual(
      new Set([
        '# HELP gate holds the render\n# TYPE gate gauge\ngate 1\n\n# HELP after_gate read after the gate\n# TYPE after_gate gauge\nafter_gate 2\n',
      ]),
    );
    expect(reads).toEqual({ gate: 1, after: 1 });
    expect(exposition.waiting).toBe(0);
    // The next scrape renders anew.
    await exposition.render();
    expect(reads).toEqual({ gate: 2, after: 2 });
  });

  it('renders nothing for a scrape whose client has already gone', async () => {
    const { registry, reads, open } = gated();
    open();
    const exposition = new MetricsExposition(registry);
    expect(await exposition.render(AbortSignal.abort())).toBeUndefined();
    const hungUp = new AbortController();
    const scrape = exposition.render(hungUp.signal);
    hungUp.abort();
    expect(await scrape).toBeUndefined();
    expect(reads).toEqual({ gate: 0, after: 0 });
  });

  it('stops a render once every scrape waiting for it has gone, and keeps it for those still there', async () => {
    const { registry, reads, open } = gated();
    const exposition = new MetricsExposition(registry);
    const first = new AbortController();
    const second = new AbortController();
    const scrapes = [exposition.render(first.signal), exposition.render(second.signal)];
    await until(() => exposition.waiting === 2);
    first.abort();
    expect(await scrapes[0]).toBeUndefined();
    expect(exposition.waiting).toBe(1);
    second.abort();
    expect(await scrapes[1]).toBeUndefined();
    expect(exposition.waiting).toBe(0);
    // A scrape arriving now starts its own render instead of joining the one that is stopping.
    const third = exposition.render();
    await until(() => reads.gate === 2);
    open();
    expect(await third).toContain('after_gate 2');
    // The abandoned render stopped at the gate: only the third one read what follows it.
    expect(reads).toEqual({ gate: 2, after: 1 });
  });
});
