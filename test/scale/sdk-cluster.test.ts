import { join } from 'node:path';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSamples, sampleSum } from '../support/prometheus-text.js';
import { runProcess } from '../support/run-process.js';

// The README's pattern for SDK users whose app runs under node:cluster: the primary's AggregatorRegistry holds
// llmeter's metrics exactly once, summed over the workers, with no double counting.

const APP = join(import.meta.dirname, 'fixtures/sdk-cluster-app.mjs');
const WORKERS = 2;
const CALLS = 7;

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator({ defaultReply: { usage: { input: 11, output: 3 } } });
});
afterAll(() => simulator?.close());

test('the primary of an SDK app under node:cluster sums llmeter metrics over its workers exactly', async () => {
  const result = await runProcess(process.execPath, [APP, simulator.url, String(WORKERS), String(CALLS)], {
    cwd: import.meta.dirname,
    timeoutMs: 30_000,
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const text = result.stdout;
  expect(simulator.requests).toHaveLength(WORKERS * CALLS);
  expect(sampleSum(text, 'llm_requests_total')).toBe(WORKERS * CALLS);
  expect(sampleSum(text, 'llm_requests_total', { status: 'ok', model: 'gpt-4o-mini' })).toBe(WORKERS * CALLS);
  expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(WORKERS * CALLS * 11);
  expect(sampleSum(text, 'llm_tokens_total', { type: 'output' })).toBe(WORKERS * CALLS * 3);
  expect(sampleSum(text, 'llm_request_duration_seconds_count')).toBe(WORKERS * CALLS);
  expect(sampleSum(text, 'llm_request_duration_seconds_bucket', { le: '+Inf' })).toBe(WORKERS * CALLS);
  // gpt-4o-mini: USD 0.15 in, 0.60 out per million tokens.
  expect(sampleSum(text, 'llm_cost_usd_total')).toBeCloseTo((WORKERS * CALLS * (11 * 0.15 + 3 * 0.6)) / 1e6, 15);
  expect(sampleSum(text, 'llm_requests_in_flight')).toBe(0);
  // Every metric once: one HELP line each, and no two samples with the same name and labels.
  const helps = text.split('\n').filter((line) => line.startsWith('# HELP llm_'));
  expect(new Set(helps).size).toBe(helps.length);
  const keys = parseSamples(text).map((sample) => `${sample.name}${JSON.stringify(sample.labels)}`);
  expect(new Set(keys).size).toBe(keys.length);
  // Process metrics are aggregated by prom-client's own rules (the Node version: the first worker's).
  expect(parseSamples(text).filter((sample) => sample.name === 'nodejs_version_info')).toHaveLength(1);
}, 40_000);
