import { afterAll, beforeAll, expect, test } from 'vitest';
import { type PrometheusServer, startPrometheus } from '../support/prometheus-server.js';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';

// gpt-4o, per million tokens: $2.50 input, $1.25 cached input, $10 output.
// claude-sonnet-4-6: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
const openAiCost = (3 * ((900 - 100) * 2.5 + 100 * 1.25 + 300 * 10)) / 1e6;
const anthropicCost = ((500 - 100 - 50) * 3 + 100 * 0.3 + 50 * 3.75 + 200 * 15) / 1e6;

let h: ProxyHarness;
let prometheus: PrometheusServer;
beforeAll(async () => {
  h = await startHarness({ metricsToken: 'scrape-token' });
  prometheus = await startPrometheus({
    targets: [{ job: 'llmeter', target: new URL(h.proxy.url).host, bearerToken: 'scrape-token' }],
  });
}, 60_000);
afterAll(async () => {
  await prometheus?.stop();
  await h?.close();
});

test('a real Prometheus scrapes the proxy; PromQL returns the exact request counts and cost', async () => {
  const openai = h.openai();
  for (let i = 0; i < 3; i++) {
    h.simulator.enqueue({ usage: { input: 900, output: 300, cachedInput: 100 } });
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
  }
  h.simulator.enqueue({ status: 429 });
  await openai.chat.completions
    .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
    .catch(() => undefined);
  h.simulator.enqueue({ usage: { input: 500, output: 200, cachedInput: 100, cacheWrite: 50 } });
  await h.anthropic().messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Hi' }],
  });
  await settled(h);

  const requests = await prometheus.waitFor(
    'sum by (provider, status) (llm_requests_total{job="llmeter"})',
    (samples) => samples.reduce((sum, s) => sum + s.value, 0) === 5,
  );
  const count = (provider: string, status: string) =>
    requests.find((s) => s.labels.provider === provider && s.labels.status === status)?.value;
  expect(count('openai', 'ok')).toBe(3);
  expect(count('openai', 'error')).toBe(1);
  expect(count('anthropic', 'ok')).toBe(1);

  const [failures] = await prometheus.query('sum(llm_request_failures_total{error_type="rate_limit"})');
  expect(failures?.value).toBe(1);

  const cost = await prometheus.query('sum by (provider) (llm_cost_usd_total)');
  expect(cost.find((s) => s.labels.provider === 'openai')?.value).toBeCloseTo(openAiCost, 12);
  expect(cost.find((s) => s.labels.provider === 'anthropic')?.value).toBeCloseTo(anthropicCost, 12);
  const [total] = await prometheus.query('sum(llm_cost_usd_total)');
  expect(total?.value).toBeCloseTo(openAiCost + anthropicCost, 12);

  const [cached] = await prometheus.query('sum(llm_tokens_total{type="cached_input"})');
  expect(cached?.value).toBe(3 * 100 + 100);
  const [up] = await prometheus.query('up{job="llmeter"}');
  expect(up?.value).toBe(1);
}, 60_000);
