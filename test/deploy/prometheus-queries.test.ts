import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { type ScriptedReply, SIMULATOR_REPLY_HEADER } from '@llmeter/simulator';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../apps/cli/src/demo/run-demo.js';
import { DEMO_MODELS } from '../../apps/cli/src/demo/traffic-driver.js';
import { rawRequest } from '../support/raw-request.js';
import {
  dashboardExprs,
  freeLoopbackPort,
  interpolate,
  type PrometheusAnswer,
  type PrometheusServer,
  RULE_FILES,
  readDashboard,
  startPrometheus,
  waitFor,
} from './tools.js';

// A real Prometheus scrapes the real proxy of `llmeter demo` (on loopback) while the demo drives traffic, with
// llmeter's rules loaded, and runs every query of the dashboard and of the rules through its HTTP API: each must
// parse and return data, which a typo'd label, a wrong `by` clause or a metric the proxy does not export would not.

// A model no price list knows: the simulator echoes it back, so the proxy counts it as unpriced.
const UNPRICED_MODEL = 'llmeter-test-unpriced-model';
// Calls this test sends itself carry this `via`, beside the demo's `sdk` and `proxy`.
const SCRIPTED_VIA = 'scripted';
const RULE_COUNT = 26;
// Alerts the traffic here makes true at once (each still waits out its `for` before firing).
const ALERTS_WITH_DATA = ['LLMUnpricedModel'];

function resultOf(answer: PrometheusAnswer): unknown[] {
  const data = answer.data as { result?: unknown } | undefined;
  return Array.isArray(data?.result) ? data.result : [];
}

async function hasData(prometheus: PrometheusServer, expr: string): Promise<boolean> {
  const answer = await prometheus.query(expr);
  return answer.status === 'success' && resultOf(answer).length > 0;
}

interface ApiRule {
  name: string;
  query: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
}

async function loadedRules(prometheus: PrometheusServer): Promise<ApiRule[]> {
  const answer = await prometheus.get('/api/v1/rules');
  const groups = (answer.data as { groups?: { rules: ApiRule[] }[] } | undefined)?.groups ?? [];
  return groups.flatMap((group) => group.rules);
}

/** A stream that drops what the demo prints: the summary is not what this test checks. */
function nullOutput(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

/**
 * Calls the demo's random mix may not make (or not soon enough), through the demo's proxy with the real clients:
 * an unpriced model, a stream whose usage the proxy has to estimate, Anthropic cache writes and a 429. The
 * `x-simulator-reply` header scripts the simulator's reply whatever its profile, and the proxy forwards it.
 */
async function scriptedCalls(proxyUrl: string): Promise<void> {
  const headers = { 'x-llmeter-label-via': SCRIPTED_VIA };
  const script = (reply: ScriptedReply) => ({ headers: { [SIMULATOR_REPLY_HEADER]: JSON.stringify(reply) } });
  const clientOptions = { apiKey: 'sk-test', maxRetries: 0, timeout: 10_000, defaultHeaders: headers };
  const openai = new OpenAI({ ...clientOptions, baseURL: `${proxyUrl}/v1` });
  const anthropic = new Anthropic({ ...clientOptions, baseURL: `${proxyUrl}/anthropic` });
  const messages = [{ role: 'user' as const, content: 'Say hello.' }];

  await openai.chat.completions.create({ model: UNPRICED_MODEL, messages });
  // A stream without usage (as some OpenAI-compatible servers send): the proxy counts the tokens itself.
  const stream = await openai.chat.completions.create(
    { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } },
    script({ omitUsage: true }),
  );
  for await (const _chunk of stream);
  // A JSON reply without usage: nothing to count tokens from (llm_usage_missing_total).
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }, script({ omitUsage: true }));
  await anthropic.messages.create(
    { model: 'claude-haiku-4-5', max_tokens: 100, messages },
    script({ usage: { input: 1500, output: 40, cachedInput: 200, cacheWrite: 1000 } }),
  );
  const rateLimited = await openai.chat.completions.create({ model: 'gpt-4o', messages }, script({ status: 429 })).then(
    () => false,
    (error: unknown) => error instanceof OpenAI.APIError && error.status === 429,
  );
  if (!rateLimited) throw new Error('the scripted 429 did not fail as one');
  // A request the proxy refuses itself (dot segments), for llm_proxy_refused_total.
  const refused = await rawRequest(proxyUrl, 'GET /v1/%2e%2e/admin HTTP/1.1\r\nHost: 127.0.0.1');
  if (refused.status !== 400) throw new Error(`the dot-segment request got ${refused.status}, not 400`);
}

describe('dashboard and rule queries on a real Prometheus scraping the demo proxy', () => {
  const stopDemo = new AbortController();
  let demo: Promise<DemoResult> | undefined;
  let prometheus: PrometheusServer | undefined;
  const server = (): PrometheusServer => {
    if (!prometheus) throw new Error('prometheus did not start');
    return prometheus;
  };

  beforeAll(async () => {
    const port = await freeLoopbackPort();
    const proxyUrl = `http://127.0.0.1:${port}`;
    prometheus = await startPrometheus(
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        ...RULE_FILES.map((file) => `  - ${JSON.stringify(file)}`),
        'scrape_configs:',
        '  - job_name: llmeter-proxy',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
        '',
      ].join('\n'),
    );

    // Brisk traffic with latencies 20 times shorter, so that every model, stream and fault shows within seconds.
    // The duration only bounds a run whose afterAll never comes; afterAll aborts it.
    let demoError: unknown;
    demo = runDemo({
      port,
      rps: 20,
      seed: 3,
      speed: 20,
      durationSeconds: 120,
      drainMs: 500,
      refreshMs: 60_000,
      output: nullOutput(),
      signal: stopDemo.signal,
    });
    // Seen by the wait below, so that a demo that cannot start (the port taken meanwhile) fails at once.
    demo.catch((error: unknown) => {
      demoError = error;
    });
    await waitFor(async () => {
      if (demoError !== undefined) throw demoError;
      return fetch(`${proxyUrl}/metrics`, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      );
    }, `the demo's proxy never served ${proxyUrl}/metrics`);
    await scriptedCalls(proxyUrl);

    // Rates need two scrapes, recording rules an evaluation after them: wait until every query has data. A query
    // that never gets any is left for its test to name, rather than failing here.
    const exprs = [
      ...dashboardExprs(await readDashboard()).map(({ expr }) => interpolate(expr)),
      ...ALERTS_WITH_DATA.map((name) => `ALERTS{alertname="${name}"}`),
    ];
    await waitFor(
      async () => {
        const rules = await loadedRules(server());
        if (rules.length !== RULE_COUNT || rules.some((rule) => rule.health === 'unknown')) return false;
        const recorded = rules.filter((rule) => rule.type === 'recording').map((rule) => rule.name);
        const answers = await Promise.all([...exprs, ...recorded].map((expr) => hasData(server(), expr)));
        return answers.every(Boolean);
      },
      'not every query had data after 20 s',
      20_000,
    ).catch(() => undefined);
  });

  afterAll(async () => {
    stopDemo.abort();
    await Promise.allSettled([demo, prometheus?.stop()]);
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
    const known: Record<string, string[]> = {
      provider: ['anthropic', 'aws.bedrock', 'gemini', 'openai'],
      model: [...DEMO_MODELS, UNPRICED_MODEL],
      operation: ['chat', 'responses', 'embeddings'],
    };
    // The demo's mix is random: not every model need have been called yet, but these must have been.
    const required: Record<string, string[]> = {
      provider: ['anthropic', 'openai'],
      model: ['claude-haiku-4-5', 'gpt-4o', 'gpt-4o-mini', UNPRICED_MODEL],
      operation: ['chat'],
    };
    let checked = 0;
    for (const found of dashboard.templating?.list ?? []) {
      if (found.type !== 'query') continue;
      // label_values(selector, label) is what Grafana turns into the label values API with a match[].
      const match = /^label_values\((.+), (\w+)\)$/.exec(found.query ?? '');
      expect(match, `variable ${found.name}`).not.toBeNull();
      const [, selector = '', label = ''] = match ?? [];
      const params = new URLSearchParams({ 'match[]': interpolate(selector) });
      const answer = await server().get(`/api/v1/label/${label}/values?${params}`);
      expect(answer.status, `variable ${found.name}`).toBe('success');
      const values = Array.isArray(answer.data) ? answer.data : [];
      expect(values, `variable ${found.name}`).toEqual(expect.arrayContaining(required[found.name ?? ''] ?? []));
      for (const value of values) expect(known[found.name ?? ''], `variable ${found.name}`).toContain(value);
      checked++;
    }
    expect(checked).toBe(3);
  });

  it('every rule loads and evaluates healthy; recording rules and the alerts the traffic trips return data', async () => {
    const rules = await loadedRules(server());
    expect(rules).toHaveLength(RULE_COUNT);
    for (const rule of rules) {
      expect(rule, rule.name).toMatchObject({ health: 'ok' });
      const answer = await server().query(rule.query);
      expect(answer, `${rule.name}: ${rule.query}`).toMatchObject({ status: 'success' });
      if (rule.type === 'recording' || ALERTS_WITH_DATA.includes(rule.name))
        expect(resultOf(answer).length, `${rule.name} returned no data: ${rule.query}`).toBeGreaterThan(0);
    }
  });
});
