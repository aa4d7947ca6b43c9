import { readFile } from 'node:fs/promises';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  dashboardExprs,
  interpolate,
  type PrometheusServer,
  RULE_FILES,
  readDashboard,
  sleep,
  startPrometheus,
  waitFor,
} from '../deploy/tools.js';
import { aggregationProblems, seriesOf } from './aggregation-check.js';
import { mixedCall, sendCall } from './mixed-calls.js';
import { type NginxBalancer, startNginx } from './nginx-balancer.js';
import { listeningUrl, type ProxyProcess, startProxyProcess } from './proxy-process.js';

// Three `llmeter proxy` replicas behind a real nginx (round robin), one real Prometheus scraping all three, with
// llmeter's rules loaded. The truth is a fourth proxy that got the very same calls alone, scraped by a Prometheus
// of its own: every dashboard and rule query over the three must give what it gives over the one (same series,
// same values), which a query that splits by instance, or counts an instance twice, would not.

const WARM = 15;
const CALLS = 60;
// Rates and increases are extrapolated from scrapes whose times differ between the two Prometheus servers: their
// values are compared to this relative tolerance (a replica counted twice or thrice is far outside it). Counters
// read at an instant are compared exactly.
const RATE_TOLERANCE = 0.35;

/** Every rule's expression, from the rule files. */
async function ruleExprs(): Promise<{ where: string; expr: string }[]> {
  const exprs: { where: string; expr: string }[] = [];
  for (const file of RULE_FILES) {
    const parsed = parseYaml(await readFile(file, 'utf8')) as {
      groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
    };
    for (const group of parsed.groups) {
      for (const rule of group.rules) exprs.push({ where: rule.record ?? rule.alert ?? '?', expr: rule.expr });
    }
  }
  return exprs;
}

function prometheusConfig(targets: readonly string[]): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...RULE_FILES.map((file) => `  - ${JSON.stringify(file)}`),
    'scrape_configs:',
    '  - job_name: llmeter',
    '    static_configs:',
    `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`,
    '',
  ].join('\n');
}

let simulator: Simulator;
let replicas: ProxyProcess[] = [];
let single: ProxyProcess | undefined;
let nginx: NginxBalancer | undefined;
let many: PrometheusServer | undefined;
let one: PrometheusServer | undefined;

const server = (prometheus: PrometheusServer | undefined): PrometheusServer => {
  if (prometheus === undefined) throw new Error('prometheus did not start');
  return prometheus;
};

async function total(prometheus: PrometheusServer, expr: string): Promise<number> {
  const [series] = seriesOf(await prometheus.query(expr));
  return series === undefined ? Number.NaN : Number(series.value[1]);
}

/** Sends calls `from`..`to` through the balancer and the same ones to the single proxy, four at a time. */
async function sendCalls(from: number, to: number): Promise<void> {
  const balancer = nginx?.url ?? '';
  const alone = single === undefined ? '' : listeningUrl(single);
  for (let i = from; i < to; i += 4) {
    const batch = [];
    for (let j = i; j < Math.min(i + 4, to); j++)
      batch.push(sendCall(balancer, mixedCall(j)), sendCall(alone, mixedCall(j)));
    await Promise.all(batch);
  }
}

beforeAll(async () => {
  simulator = await startSimulator();
  const args = ['--port', '0', '--upstream', `openai=${simulator.url}`, '--upstream', `anthropic=${simulator.url}`];
  // All four, or none: a proxy that started is stopped when another could not.
  const settled = await Promise.allSettled(Array.from({ length: 4 }, () => startProxyProcess(args)));
  const started = settled.flatMap((one) => (one.status === 'fulfilled' ? [one.value] : []));
  const failed = settled.find((one) => one.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((proxy) => proxy.stop('SIGKILL')));
    throw failed.reason;
  }
  replicas = started.slice(0, 3);
  single = started[3];
  const ports = replicas.map((replica) => Number(new URL(listeningUrl(replica)).port));
  nginx = await startNginx(ports);
  [many, one] = await Promise.all([
    startPrometheus(prometheusConfig(ports.map((port) => `127.0.0.1:${port}`))),
    startPrometheus(prometheusConfig([new URL(listeningUrl(started[3] as ProxyProcess)).host])),
  ]);
  // Every series exists (and was scraped twice) before the measured calls: their rates then start from a sample.
  await sendCalls(0, WARM);
  for (const prometheus of [server(many), server(one)]) {
    await waitFor(
      async () => (await total(prometheus, 'sum(llm_requests_total)')) === WARM,
      'the warm-up calls were not scraped',
    );
  }
  await sleep(2500);
  await sendCalls(WARM, WARM + CALLS);
  for (const prometheus of [server(many), server(one)]) {
    await waitFor(
      async () => (await total(prometheus, 'sum(llm_requests_total)')) === WARM + CALLS,
      'the calls were not scraped',
    );
  }
  // Two more scrapes and a rule evaluation over them.
  await sleep(3000);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([
    nginx?.stop(),
    many?.stop(),
    one?.stop(),
    single?.stop('SIGKILL'),
    ...replicas.map((replica) => replica.stop('SIGKILL')),
  ]);
  await simulator?.close();
});

describe('three proxy replicas behind nginx, one Prometheus', () => {
  test('nginx spread the calls over the three replicas', async () => {
    const perInstance = seriesOf(await server(many).query('sum by (instance) (llm_requests_total)'));
    expect(perInstance).toHaveLength(3);
    expect(perInstance.map((series) => Number(series.value[1]))).toEqual([25, 25, 25]);
  });

  test('sum without (instance) over the three equals every call, with exact tokens and cost', async () => {
    expect(await total(server(many), 'sum(llm_requests_total)')).toBe(WARM + CALLS);
    expect(await total(server(many), 'sum(llm_requests_total{status="error"})')).toBe((WARM + CALLS) / 5);
    for (const metric of ['llm_requests_total', 'llm_tokens_total', 'llm_request_duration_seconds_count']) {
      const expr = `sum without (instance) (${metric})`;
      const problems = aggregationProblems(
        seriesOf(await server(many).query(expr)),
        seriesOf(await server(one).query(expr)),
        0,
      );
      expect(problems, expr).toEqual([]);
    }
    const cost = 'sum without (instance) (llm_cost_usd_total)';
    expect(
      aggregationProblems(seriesOf(await server(many).query(cost)), seriesOf(await server(one).query(cost)), 1e-12),
      cost,
    ).toEqual([]);
    expect(await total(server(many), 'sum(llm_cost_usd_total)')).toBeGreaterThan(0);
  });

  test('every Grafana panel query and every rule aggregates across instances like one proxy', async () => {
    const exprs = [
      ...dashboardExprs(await readDashboard()).map(({ where, expr }) => ({ where, expr: interpolate(expr) })),
      ...(await ruleExprs()),
    ];
    expect(exprs.length).toBeGreaterThan(30);
    let withData = 0;
    const failures: string[] = [];
    const perInstance: string[] = [];
    for (const { where, expr } of exprs) {
      const [overMany, overOne] = await Promise.all([server(many).query(expr), server(one).query(expr)]);
      expect(overMany.status, `${where}: ${expr}`).toBe('success');
      if (seriesOf(overOne).length > 0) withData++;
      // A query that keeps `instance` (`by (job, instance, ...)`, an `instance:` level) is per process by design
      // (the proxy's own overhead): one series per replica. `without (instance, job)` sums it away: checked below.
      if (/\binstance:|by \([^)]*\binstance\b/.test(expr)) {
        perInstance.push(where);
        const instances = seriesOf(overMany).map((series) => series.metric.instance);
        if (instances.some((instance) => instance === undefined) || new Set(instances).size !== instances.length) {
          failures.push(`${where}: per-instance series are not one per replica: ${JSON.stringify(instances)}`);
        }
        if (seriesOf(overOne).length > 0 && instances.length !== 3) {
          failures.push(`${where}: ${instances.length} series, not one per replica`);
        }
        continue;
      }
      // Quantiles interpolate inside buckets the two runs fill a little differently: their series are compared,
      // not their values.
      const tolerance = expr.includes('histogram_quantile') ? Number.POSITIVE_INFINITY : RATE_TOLERANCE;
      for (const problem of aggregationProblems(seriesOf(overMany), seriesOf(overOne), tolerance)) {
        failures.push(`${where}: ${problem}\n  ${expr}`);
      }
    }
    expect(failures).toEqual([]);
    // Per-instance by design, nothing else: the proxy overhead panel, its recording rule and its alert, and the
    // series-overflow alert (the series budget is each process's own).
    expect(perInstance).toEqual([
      'panel 17 "Proxy overhead p99 by instance" A',
      'instance:llm_proxy_overhead_seconds:p99_5m',
      'LLMSeriesOverflow',
      'LLMProxyOverheadHigh',
    ]);
    // Most queries had data to compare (alerts whose conditions the traffic does not meet have none).
    expect(withData).toBeGreaterThan(exprs.length / 2);
  });

  test('the check catches a query that splits by instance or counts a replica twice', async () => {
    const split = 'sum by (instance, provider) (llm_requests_total)';
    const twice = 'sum(llm_requests_total) + sum(llm_requests_total{instance=~".*"}) / 3';
    for (const expr of [split, twice]) {
      const problems = aggregationProblems(
        seriesOf(await server(many).query(expr)),
        seriesOf(await server(one).query(expr.replaceAll(' / 3', ''))),
        0,
      );
      expect(problems.length, expr).toBeGreaterThan(0);
    }
  });
});
