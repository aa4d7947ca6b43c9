import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, type Meter, type Usage } from '@llmeter/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardExprs,
  interpolate,
  type PrometheusAnswer,
  type PrometheusServer,
  RULE_FILES,
  readDashboard,
  startPrometheus,
  waitFor,
} from './tools.js';

// A real Prometheus scrapes a real meter's /metrics (on loopback), with llmeter's rules loaded, and runs every
// query of the dashboard and of the rules through its HTTP API: each must parse and return data, which a
// typo'd label or a wrong `by` clause would not.

const usage = (input: number, output: number, parts: Partial<Usage> = {}): Usage => ({
  input,
  output,
  cachedInput: 0,
  cacheWrite: 0,
  reasoning: 0,
  ...parts,
});

/** One batch of calls touching every metric: streams, failures, an unpriced model, estimated usage. */
function traffic(meter: Meter): number {
  const start = performance.now() - 10_000;
  const call = (
    provider: string,
    model: string,
    options: {
      operation?: 'chat' | 'embeddings';
      ttftMs?: number;
      durationMs: number;
      usage?: Usage;
      estimated?: boolean;
      error?: 'rate_limit' | 'server_error';
    },
  ) => {
    const started = meter.start({
      provider,
      model,
      operation: options.operation ?? 'chat',
      stream: options.ttftMs !== undefined,
      labels: { team: 'search' },
      startedAt: start,
    });
    if (options.ttftMs !== undefined) started.markFirstToken(start + options.ttftMs);
    started.end({
      usage: options.usage,
      usageSource: options.estimated ? 'estimated' : options.usage ? 'reported' : 'none',
      errorType: options.error,
      endedAt: start + options.durationMs,
    });
  };
  call('openai', 'gpt-4o', { ttftMs: 400, durationMs: 3000, usage: usage(1000, 200, { cachedInput: 500 }) });
  call('openai', 'gpt-4o', { durationMs: 1500, usage: usage(800, 100), estimated: true });
  call('openai', 'gpt-4o', { durationMs: 50, error: 'rate_limit' });
  call('openai', 'text-embedding-3-small', { operation: 'embeddings', durationMs: 80, usage: usage(300, 0) });
  call('anthropic', 'claude-sonnet-4-5', {
    ttftMs: 900,
    durationMs: 6000,
    usage: usage(2000, 400, { cacheWrite: 1000, reasoning: 100 }),
  });
  call('anthropic', 'claude-sonnet-4-5', { ttftMs: 1200, durationMs: 2000, error: 'server_error' });
  call('openai', 'my-finetune-unpriced', { durationMs: 700, usage: usage(100, 50) });
  return 7;
}

function resultOf(answer: PrometheusAnswer): unknown[] {
  const data = answer.data as { result?: unknown } | undefined;
  return Array.isArray(data?.result) ? data.result : [];
}

function scalarOf(answer: PrometheusAnswer): number {
  const first = resultOf(answer)[0] as { value?: [number, string] } | undefined;
  return Number(first?.value?.[1] ?? Number.NaN);
}

interface ApiRule {
  name: string;
  query: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
}

describe('dashboard and rule queries on a real Prometheus', () => {
  const registry = new Registry();
  const meter = createMeter({ registry, labelNames: ['team'] });
  let target: Server | undefined;
  let prometheus: PrometheusServer | undefined;
  const server = (): PrometheusServer => {
    if (!prometheus) throw new Error('prometheus did not start');
    return prometheus;
  };

  beforeAll(async () => {
    target = createServer((_request, response) => {
      void registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(text);
      });
    });
    await new Promise<void>((done) => target?.listen(0, '127.0.0.1', done));
    const port = (target.address() as AddressInfo).port;
    prometheus = await startPrometheus(
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        ...RULE_FILES.map((file) => `  - ${JSON.stringify(file)}`),
        'scrape_configs:',
        '  - job_name: llmeter',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
        '',
      ].join('\n'),
    );

    // One call stays in flight throughout, for the in-flight gauge.
    meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: true, labels: { team: 'search' } });
    // Rates need two scrapes that differ: one batch, wait for Prometheus to have it, another batch, wait again.
    let total = 0;
    for (let batch = 0; batch < 2; batch++) {
      total += traffic(meter);
      const expected = total;
      await waitFor(
        async () => scalarOf(await server().query('sum(llm_requests_total)')) === expected,
        `Prometheus never scraped ${expected} calls`,
      );
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((done) => (target ? target.close(() => done()) : done()));
  });

  it('every dashboard query parses and returns data', async () => {
    const exprs = dashboardExprs(await readDashboard());
    expect(exprs.length).toBeGreaterThan(10);
    for (const { where, expr } of exprs) {
      const answer = await server().query(interpolate(expr));
      expect(answer, `${where}: ${expr}`).toMatchObject({ status: 'success' });
      expect(resultOf(answer).length, `${where} returned no data: ${interpolate(expr)}`).toBeGreaterThan(0);
    }
  });

  it('every template variable lists values', async () => {
    const dashboard = await readDashboard();
    for (const found of dashboard.templating?.list ?? []) {
      if (found.type !== 'query') continue;
      // label_values(selector, label) is what Grafana turns into the label values API with a match[].
      const match = /^label_values\((.+), (\w+)\)$/.exec(found.query ?? '');
      expect(match, `variable ${found.name}`).not.toBeNull();
      const [, selector = '', label = ''] = match ?? [];
      const params = new URLSearchParams({ 'match[]': interpolate(selector) });
      const answer = await server().get(`/api/v1/label/${label}/values?${params}`);
      expect(answer.status, `variable ${found.name}`).toBe('success');
      const expected: Record<string, string[]> = {
        provider: ['anthropic', 'openai'],
        model: ['claude-sonnet-4-5', 'gpt-4o', 'my-finetune-unpriced', 'text-embedding-3-small'],
        operation: ['chat', 'embeddings'],
      };
      expect(answer.data, `variable ${found.name}`).toEqual(expected[found.name ?? '']);
    }
  });

  it('every rule loads and evaluates healthy; recording rules return data', async () => {
    let rules: ApiRule[] = [];
    await waitFor(async () => {
      const answer = await server().get('/api/v1/rules');
      const groups = (answer.data as { groups?: { rules: ApiRule[] }[] } | undefined)?.groups ?? [];
      rules = groups.flatMap((group) => group.rules);
      return rules.length === 13 && rules.every((rule) => rule.health !== 'unknown');
    }, 'rules were not all evaluated');
    for (const rule of rules) {
      expect(rule, rule.name).toMatchObject({ health: 'ok' });
      const answer = await server().query(rule.query);
      expect(answer, `${rule.name}: ${rule.query}`).toMatchObject({ status: 'success' });
      if (rule.type === 'recording')
        expect(resultOf(answer).length, `${rule.name} returned no data`).toBeGreaterThan(0);
    }
  });
});
