import fc from 'fast-check';
import { Counter, Gauge, Histogram, type OpenMetricsContentType, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMeter } from '../meter.js';
import { PrometheusTextRenderer } from './prometheus-text.js';

const usage = { input: 1200, output: 300, cachedInput: 400, cacheWrite: 0, reasoning: 0 };

/** Label values a scrape must escape, or that look like other syntax. */
const AWKWARD = ['back\\slash', 'new\nline', 'quote"d', 'all \\ " \n three', 'é ü 中文 🙂', '', '{a="b"}', ' x '];

/** A registry holding every kind of metric prom-client renders, many label sets, and escaped values. */
function fullRegistry() {
  const registry = new Registry();
  const counter = new Counter({
    name: 'app_calls_total',
    help: 'Calls, with a \\ backslash\nand a newline in the help',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
  const plain = new Counter({ name: 'app_plain_total', help: 'No labels', registers: [registry] });
  const gauge = new Gauge({ name: 'app_level', help: 'A gauge', labelNames: ['pool'], registers: [registry] });
  const histogram = new Histogram({
    name: 'app_latency_seconds',
    help: 'Latency',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.0025, 0.1, 1, 2.5, 10, 1e21],
    registers: [registry],
  });
  const bare = new Histogram({ name: 'app_size_bytes', help: 'No labels', registers: [registry] });
  new Histogram({ name: 'app_unused_seconds', help: 'Never observed', labelNames: ['x'], registers: [registry] });
  // Set by a collect hook, which both renderers call before reading: from a value the test changes.
  const hook = { level: 0, calls: 0 };
  new Gauge({
    name: 'app_collected',
    help: 'Set by a collect hook',
    registers: [registry],
    collect() {
      hook.calls += 1;
      this.set(hook.level);
    },
  });
  new Summary({ name: 'app_summary_seconds', help: 'Left to prom-client', registers: [registry] }).observe(0.3);
  const meter = createMeter({ registry, labelNames: ['team'] });
  return { registry, counter, plain, gauge, histogram, bare, meter, hook };
}

/** Writes some traffic: `n` label sets on every metric, awkward label values among them. */
function traffic({ counter, plain, gauge, histogram, bare, meter, hook }: ReturnType<typeof fullRegistry>, n: number) {
  hook.level += n;
  for (let i = 0; i < n; i++) {
    const route = i < AWKWARD.length ? (AWKWARD[i] as string) : `/v1/route-${i}`;
    counter.inc({ route, code: String(200 + (i % 3)) }, (i % 7) + 0.5);
    gauge.set({ pool: route }, i % 5 === 0 ? -i / 3 : i * 1e-9);
    histogram.observe({ route, method: i % 2 === 0 ? 'GET' : 'POST' }, (i % 13) * 0.37);
    meter.record({
      provider: 'openai',
      operation: 'chat',
      model: `model-${i % 40}`,
      labels: { team: route },
      stream: i % 2 === 0,
      startedAt: 0,
      ...(i % 2 === 0 ? { firstTokenAt: 120 } : {}),
      endedAt: 900 + i,
      usage,
      usageSource: 'reported',
    });
  }
  plain.inc(3);
  bare.observe(123456);
  gauge.set({ pool: 'infinite' }, Number.POSITIVE_INFINITY);
  gauge.set({ pool: 'minus-infinite' }, Number.NEGATIVE_INFINITY);
}

describe('PrometheusTextRenderer', () => {
  it('renders byte for byte what registry.metrics() does, on every metric type, as values change', async () => {
    const metrics = fullRegistry();
    const renderer = new PrometheusTextRenderer(metrics.registry);
    // Nothing recorded yet, then many label sets, then more calls on the same and on new label sets.
    const texts = [await renderer.render(), await metrics.registry.metrics()];
    expect(texts[0]).toBe(texts[1]);
    traffic(metrics, 600);
    const first = await renderer.render();
    expect(first).toBe(await metrics.registry.metrics());
    expect(first).toContain('app_calls_total{route="all \\\\ \\" \\n three",code="200"} 3.5\n');
    expect(first).toContain('app_latency_seconds_bucket{le="1e+21",route="back\\\\slash",method="GET"} 1\n');
    expect(first).toContain('app_level{pool="infinite"} +Inf\napp_level{pool="minus-infinite"} -Inf\n');
    expect(first).toContain('# HELP app_calls_total Calls, with a \\\\ backslash\\nand a newline in the help\n');
    expect(first.split('\n').length).toBeGreaterThan(10_000);
    // Unchanged: the same text (from the caches), the collect hook still run.
    const calls = metrics.hook.calls;
    expect(await renderer.render()).toBe(first);
    expect(metrics.hook.calls).toBe(calls + 1);
    expect(first).toContain('\napp_collected 600\n');
    traffic(metrics, 700);
    expect(await renderer.render()).toBe(await metrics.registry.metrics());
    // One series changed in the first block of 64, one in a later block; the others are reused as encoded.
    metrics.histogram.observe({ route: '/v1/route-9', method: 'POST' }, 0.0001);
    metrics.counter.inc({ route: '/v1/route-9', code: '200' });
    metrics.histogram.observe({ route: '/v1/route-300', method: 'GET' }, 7);
    metrics.gauge.set({ pool: '/v1/route-301' }, 0.125);
    expect(await renderer.render()).toBe(await metrics.registry.metrics());
    expect(Buffer.concat(await renderer.renderBuffers()).equals(Buffer.from(await metrics.registry.metrics()))).toBe(
      true,
    );
    // A reset empties the metrics; the next calls start new series.
    metrics.registry.resetMetrics();
    expect(await renderer.render()).toBe(await metrics.registry.metrics());
    traffic(metrics, 20);
    expect(await renderer.render()).toBe(await metrics.registry.metrics());
  });

  it('renders each metric as getSingleMetricAsString does', async () => {
    const metrics = fullRegistry();
    traffic(metrics, 50);
    const renderer = new PrometheusTextRenderer(metrics.registry);
    for (const metric of metrics.registry.getMetricsAsArray()) {
      expect(await renderer.renderMetric(metric)).toBe(await metrics.registry.getSingleMetricAsString(metric.name));
    }
  });

  it('leaves default labels, exemplars and OpenMetrics to prom-client, with the same text', async () => {
    const metrics = fullRegistry();
    traffic(metrics, 30);
    metrics.registry.setDefaultLabels({ instance: 'a"b' });
    const renderer = new PrometheusTextRenderer(metrics.registry);
    expect(await renderer.render()).toBe(await metrics.registry.metrics());
    expect(await renderer.render()).toContain('app_plain_total{instance="a\\"b"} 3\n');

    // prom-client allows exemplars on OpenMetrics registries only.
    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'open_total', help: 'h', registers: [open] }).inc();
    new Counter({ name: 'ex_total', help: 'h', labelNames: ['a'], enableExemplars: true, registers: [open] }).inc({
      labels: { a: 'x' },
      value: 2,
      exemplarLabels: { a: 'trace-1' },
    });
    expect(await new PrometheusTextRenderer(open).render()).toBe(await open.metrics());
  });

  it('matches prom-client for any label values and observations (property)', async () => {
    const labelValue = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...AWKWARD),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    const step = fc.record({
      a: labelValue,
      b: labelValue,
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      kind: fc.constantFrom('counter', 'gauge', 'histogram'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 30 }), { minLength: 1, maxLength: 4 }), async (rounds) => {
        const registry = new Registry();
        const counter = new Counter({ name: 'p_total', help: 'p', labelNames: ['a', 'b'], registers: [registry] });
        const gauge = new Gauge({ name: 'p_gauge', help: 'p', labelNames: ['b', 'a'], registers: [registry] });
        const histogram = new Histogram({ name: 'p_hist', help: 'p', labelNames: ['a', 'b'], registers: [registry] });
        const renderer = new PrometheusTextRenderer(registry);
        for (const round of rounds) {
          for (const { a, b, value, kind } of round) {
            if (kind === 'counter') counter.inc({ b, a }, Math.abs(value));
            else if (kind === 'gauge') gauge.set({ a, b }, value);
            else histogram.observe({ a, b }, value);
          }
          expect(await renderer.render()).toBe(await registry.metrics());
        }
      }),
      { numRuns: 150 },
    );
  });
});
