import { Agent, request } from 'node:http';
import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buffersAfterGc, residentAfterGc } from '../hostile/raw-tcp-proxy.js';
import { sampleSum } from '../support/prometheus-text.js';
import {
  type Fault,
  type FaultUpstream,
  SOAK_FAULT_HEADER,
  SOAK_ID_HEADER,
  startFaultUpstream,
  usageOf,
} from './fault-upstream.js';

// 20,000 mixed calls (JSON and streams, OpenAI and Anthropic) at concurrency 32, ~10% of them faulty, through the
// proxy to an upstream that counts what it receives: no call lost, none sent twice, none recorded twice, every
// successful call's tokens and cost exact.

const CALLS = 20_000;
const CONCURRENCY = 32;
const MiB = 1024 * 1024;
/**
 * Resident set growth allowed over the soak, after a full GC. The proxy, the upstream and the client share this
 * process, and V8 keeps the heap it grew to under their load: measured 180-230 MiB, reached by 10,000 calls and
 * flat after (the same at 60,000). This bounds that plateau; the bounds below catch a leak.
 */
const RSS_BOUND = 320 * MiB;
/**
 * Resident set growth over the second half of the calls (after a full GC at half-way): a backstop for native memory
 * held per call. Most of what it measures is the C allocator keeping memory freed under load: over the second half
 * V8's heap spaces, the heap in use and the memory of ArrayBuffers stayed flat (within 1 MiB, or shrank) while the
 * resident set grew 2-52 MiB (15 runs).
 */
const SECOND_HALF_RSS_BOUND = 96 * MiB;
/**
 * The memory of ArrayBuffers (every Buffer: bodies, chunks) still held after a full GC, beyond what was held half-way.
 * Measured: -8 to 0 MiB. A kilobyte held per call would add 10 MiB.
 */
const SECOND_HALF_BUFFERS_BOUND = 4 * MiB;

/** The JavaScript heap still in use after a full GC, beyond what it was before the calls. Measured: 1-3 MiB. */
const HEAP_BOUND = 16 * MiB;
/** The whole soak must stay well under a minute on a 2-core machine (CI runs it on every build). */
const TIME_BOUND_MS = 50_000;

/** USD per million tokens of the soak's models (models of their own, so the bundled prices play no part). */
const PRICES = { 'soak-gpt': { input: 1, output: 2 }, 'soak-claude': { input: 3, output: 15 } };

interface Plan {
  id: number;
  provider: 'openai' | 'anthropic';
  stream: boolean;
  fault: Fault;
  /** Cut streams report no usage (counted locally): a model of their own keeps their estimate apart. */
  model: string;
}

/** Call `id`'s shape and fault, spread evenly: ~2.5% each of resets, cut streams, 5xx and slow replies. */
function planOf(id: number): Plan {
  const provider = id % 2 === 0 ? 'openai' : 'anthropic';
  const stream = id % 3 !== 0;
  const roll = (id * 7919) % 400;
  let fault: Fault = 'none';
  if (roll < 10) fault = 'reset';
  else if (roll < 20) fault = stream ? 'cut' : 'reset';
  else if (roll < 30) fault = 'server_error';
  else if (roll < 40) fault = 'slow';
  const base = provider === 'openai' ? 'soak-gpt' : 'soak-claude';
  return { id, provider, stream, fault, model: fault === 'cut' ? `${base}-cut` : base };
}

interface Outcome {
  status: number;
  body: string;
  /** The response ended normally (not cut). */
  complete: boolean;
}

let upstream: FaultUpstream;
let proxy: RunningProxy;
let registry: Registry;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  upstream = await startFaultUpstream();
  registry = new Registry();
  proxy = await startProxy({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    registry,
    dashboard: false,
    prices: PRICES,
    upstreams: { openai: upstream.url, anthropic: upstream.url },
  });
});
afterAll(async () => {
  agent.destroy();
  await proxy?.close();
  await upstream?.close();
});

function call(plan: Plan): Promise<Outcome> {
  const path = plan.provider === 'openai' ? '/v1/chat/completions' : '/anthropic/v1/messages';
  const body = JSON.stringify({
    model: plan.model,
    stream: plan.stream,
    max_tokens: 64,
    messages: [{ role: 'user', content: `Call ${plan.id}: say hello.` }],
  });
  return new Promise((resolve) => {
    const req = request(
      `${proxy.url}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: 'Bearer sk-soak',
          [SOAK_ID_HEADER]: String(plan.id),
          [SOAK_FAULT_HEADER]: plan.fault,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), complete: res.complete }),
        );
        res.on('error', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), complete: false }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, body: '', complete: false }));
    req.end(body);
  });
}

/** What a successful call must have delivered: the whole answer, and no usage the client did not ask for. */
function deliveredWhole(plan: Plan, outcome: Outcome): boolean {
  if (outcome.status !== 200 || !outcome.complete) return false;
  if (!plan.stream) return outcome.body.includes('Hello from the soak.');
  if (plan.provider === 'openai') return outcome.body.endsWith('data: [DONE]\n\n') && !outcome.body.includes('usage');
  return outcome.body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n');
}

test(`${CALLS} mixed calls, ~10% faulty, at concurrency ${CONCURRENCY}: counted once each, tokens and cost exact`, async () => {
  const startedAt = performance.now();
  // Warm-up outside the measurement: tokenizers (cut streams are counted locally), pools, JIT.
  const warmUp = Array.from({ length: 200 }, (_, i) => planOf(CALLS + i));
  await Promise.all(warmUp.map(call));
  const baselineRss = residentAfterGc();
  const baselineHeap = process.memoryUsage().heapUsed;
  const recordedBefore = sampleSum(await registry.metrics(), 'llm_requests_total');

  const expected = {
    ok: 0,
    byFault: { reset: 0, cut: 0, server_error: 0, slow: 0, none: 0 } as Record<Fault, number>,
    tokens: new Map<string, { input: number; output: number }>(),
  };
  const wrong: string[] = [];
  let next = 0;
  let peakRss = 0;
  let halfWayRss = 0;
  let halfWayBuffers = 0;
  const worker = async (): Promise<void> => {
    for (let id = next++; id < CALLS; id = next++) {
      const plan = planOf(id);
      const outcome = await call(plan);
      expected.byFault[plan.fault]++;
      if (plan.fault === 'none' || plan.fault === 'slow') {
        if (!deliveredWhole(plan, outcome))
          wrong.push(`${id} ${plan.fault}: ${outcome.status} ${outcome.body.slice(-80)}`);
        expected.ok++;
        const key = `${plan.provider}/${plan.model}`;
        const sum = expected.tokens.get(key) ?? { input: 0, output: 0 };
        const usage = usageOf(id);
        expected.tokens.set(key, { input: sum.input + usage.input, output: sum.output + usage.output });
      } else {
        const status = plan.fault === 'cut' ? 200 : plan.fault === 'reset' ? 502 : 500;
        if (outcome.status !== status || (plan.fault === 'cut' && outcome.complete))
          wrong.push(`${id} ${plan.fault}: ${outcome.status} complete=${outcome.complete}`);
      }
      if (id % 2000 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss() - baselineRss);
      if (id === CALLS / 2) {
        halfWayRss = residentAfterGc();
        halfWayBuffers = buffersAfterGc();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const soakMs = performance.now() - startedAt;

  // Every call answered as its fault says.
  expect(wrong).toEqual([]);
  // The upstream's own tally: every call once (warm-up included), none twice.
  const counts = [...upstream.received.values()];
  expect(upstream.received.size).toBe(CALLS + warmUp.length);
  expect(Math.max(...counts)).toBe(1);
  expect(upstream.total).toBe(CALLS + warmUp.length);

  const deadline = Date.now() + 5000;
  let metrics = await registry.metrics();
  while (sampleSum(metrics, 'llm_requests_in_flight') !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    metrics = await registry.metrics();
  }
  expect(sampleSum(metrics, 'llm_requests_in_flight')).toBe(0);
  // Recorded once each: client count = recorded count = upstream count.
  expect(sampleSum(metrics, 'llm_requests_total') - recordedBefore).toBe(CALLS);
  const failures = (errorType: string) =>
    sampleSum(metrics, 'llm_request_failures_total', { error_type: errorType }) -
    warmUp.filter((plan) => FAULT_ERROR_TYPE[plan.fault] === errorType).length;
  expect(failures('network')).toBe(expected.byFault.reset);
  expect(failures('stream_error')).toBe(expected.byFault.cut);
  expect(failures('server_error')).toBe(expected.byFault.server_error);
  expect(sampleSum(metrics, 'llm_requests_total', { status: 'ok' })).toBe(
    expected.ok + warmUp.filter((plan) => plan.fault === 'none' || plan.fault === 'slow').length,
  );

  // Tokens and cost of the successful calls, exact (warm-up calls' usage added to what is expected).
  for (const plan of warmUp) {
    if (plan.fault !== 'none' && plan.fault !== 'slow') continue;
    const key = `${plan.provider}/${plan.model}`;
    const sum = expected.tokens.get(key) ?? { input: 0, output: 0 };
    const usage = usageOf(plan.id);
    expected.tokens.set(key, { input: sum.input + usage.input, output: sum.output + usage.output });
  }
  for (const [key, tokens] of expected.tokens) {
    const [provider = '', model = ''] = key.split('/');
    const labels = { provider, model };
    expect(sampleSum(metrics, 'llm_tokens_total', { ...labels, type: 'input' }), key).toBe(tokens.input);
    expect(sampleSum(metrics, 'llm_tokens_total', { ...labels, type: 'output' }), key).toBe(tokens.output);
    const price = PRICES[model as keyof typeof PRICES];
    const cost = (tokens.input * price.input + tokens.output * price.output) / 1e6;
    expect(sampleSum(metrics, 'llm_cost_usd_total', labels)).toBeCloseTo(cost, 9);
    expect(sampleSum(metrics, 'llm_usage_estimated_total', labels), key).toBe(0);
  }
  // OpenAI's cut streams, and only they, were counted locally (Anthropic's report their input at the start).
  const openAiCuts = (plans: Plan[]) => plans.filter((plan) => plan.fault === 'cut' && plan.provider === 'openai');
  expect(sampleSum(metrics, 'llm_usage_estimated_total')).toBe(
    openAiCuts(Array.from({ length: CALLS }, (_, id) => planOf(id))).length + openAiCuts(warmUp).length,
  );

  const finalRss = residentAfterGc();
  const rssGrowth = finalRss - baselineRss;
  const heapGrowth = process.memoryUsage().heapUsed - baselineHeap;
  const secondHalfGrowth = finalRss - halfWayRss;
  const secondHalfBuffers = buffersAfterGc() - halfWayBuffers;
  console.log(
    `soak: ${CALLS} calls in ${(soakMs / 1000).toFixed(1)} s, faults ${JSON.stringify(expected.byFault)}, ` +
      `RSS growth ${(rssGrowth / MiB).toFixed(1)} MiB (peak ${(peakRss / MiB).toFixed(1)} MiB, second half ` +
      `${(secondHalfGrowth / MiB).toFixed(1)} MiB, buffers ${(secondHalfBuffers / MiB).toFixed(1)} MiB), ` +
      `heap in use ${(heapGrowth / MiB).toFixed(1)} MiB`,
  );
  expect(rssGrowth).toBeLessThan(RSS_BOUND);
  expect(secondHalfGrowth).toBeLessThan(SECOND_HALF_RSS_BOUND);
  expect(secondHalfBuffers).toBeLessThan(SECOND_HALF_BUFFERS_BOUND);
  expect(heapGrowth).toBeLessThan(HEAP_BOUND);
  expect(soakMs).toBeLessThan(TIME_BOUND_MS);
}, 90_000);

const FAULT_ERROR_TYPE: Record<Fault, string | undefined> = {
  none: undefined,
  slow: undefined,
  reset: 'network',
  cut: 'stream_error',
  server_error: 'server_error',
};
