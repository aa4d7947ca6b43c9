import { type Simulator, startSimulator } from '@llmeter/simulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSamples } from '../support/prometheus-text.js';
import { runProcess } from '../support/run-process.js';
import { getText, mixedCall, sendCall } from './mixed-calls.js';
import { CLI, isRunning, listeningUrl, type ProxyProcess, startProxyProcess } from './proxy-process.js';

// `llmeter proxy --workers 3`: node:cluster workers sharing one port. Whichever worker a scrape reaches, /metrics
// must be the exact sum over every worker: the same numbers one process records for the same calls.

const CALLS = 40;
// Counted exactly; float sums (cost, durations) are compared to 1e-12 relative: the workers' sums are added in
// another order than one process's.
const COUNTED = [
  'llm_requests_total',
  'llm_request_failures_total',
  'llm_tokens_total',
  'llm_usage_estimated_total',
  'llm_unpriced_requests_total',
  'llm_request_duration_seconds_count',
  'llm_time_to_first_token_seconds_count',
];
const SUMMED = ['llm_cost_usd_total'];

let simulator: Simulator;
let single: ProxyProcess;
let workers: ProxyProcess;

function upstreamArgs(): string[] {
  return ['--port', '0', '--upstream', `openai=${simulator.url}`, '--upstream', `anthropic=${simulator.url}`];
}

/** The samples of `names`, as `name{labels}` → value. */
function samplesOf(text: string, names: readonly string[]): Map<string, number> {
  const picked = new Map<string, number>();
  for (const sample of parseSamples(text)) {
    if (!names.includes(sample.name)) continue;
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}="${value}"`)
      .join(',');
    picked.set(`${sample.name}{${labels}}`, sample.value);
  }
  return picked;
}

async function sendAll(base: string): Promise<number[]> {
  const statuses: number[] = [];
  // Four at a time, each on a connection of its own: the kernel hands connections to the workers in turn.
  for (let i = 0; i < CALLS; i += 4) {
    const batch = Array.from({ length: Math.min(4, CALLS - i) }, (_, j) => sendCall(base, mixedCall(i + j)));
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

function workerPids(proxy: ProxyProcess): number[] {
  const line = proxy.lines.find((one) => one.msg === 'proxy workers listening');
  return (line?.pids as number[] | undefined) ?? [];
}

beforeAll(async () => {
  simulator = await startSimulator();
  const settled = await Promise.allSettled([
    startProxyProcess(upstreamArgs()),
    startProxyProcess([...upstreamArgs(), '--workers', '3'], 3),
  ]);
  const failed = settled.find((one) => one.status === 'rejected');
  if (failed !== undefined) {
    // The one that started is stopped here: afterAll would not know it.
    for (const one of settled) if (one.status === 'fulfilled') await one.value.stop('SIGKILL');
    throw failed.reason;
  }
  [single, workers] = settled.map((one) => (one as PromiseFulfilledResult<ProxyProcess>).value) as [
    ProxyProcess,
    ProxyProcess,
  ];
  await workers.waitForLine((line) => line.msg === 'proxy workers listening', 'proxy workers listening');
}, 60_000);

afterAll(async () => {
  await Promise.all([single?.stop('SIGKILL'), workers?.stop('SIGKILL')]);
  await simulator?.close();
});

describe('llmeter proxy --workers 3', () => {
  test('--workers 1 (the default) is one process, no cluster', () => {
    expect(single.lines.some((line) => line.msg === 'proxy workers listening')).toBe(false);
    expect(single.lines.find((line) => line.msg === 'llmeter proxy listening')?.pid).toBe(single.pid);
  });

  test('a port in use: the workers say so and the command exits 2', async () => {
    const taken = new URL(listeningUrl(single)).port;
    const result = await runProcess(process.execPath, [CLI, 'proxy', '--port', taken, '--workers', '2'], {
      cwd: import.meta.dirname,
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${taken}`);
    expect(result.stderr).toContain('a proxy worker exited (2) before it listened');
  });

  test('every worker listens on the one port', () => {
    const listening = workers.lines.filter((line) => line.msg === 'llmeter proxy listening');
    expect(new Set(listening.map((line) => line.url)).size).toBe(1);
    expect(new Set(listening.map((line) => line.pid))).toEqual(new Set(workerPids(workers)));
    expect(workerPids(workers)).toHaveLength(3);
  });

  test('/metrics on any worker is the exact sum over the workers: what one process records', async () => {
    const [oneStatuses, manyStatuses] = await Promise.all([
      sendAll(listeningUrl(single)),
      sendAll(listeningUrl(workers)),
    ]);
    expect(manyStatuses).toEqual(oneStatuses);
    expect(manyStatuses.filter((status) => status === 429)).toHaveLength(CALLS / 5);
    // The calls were spread: more than one worker logged some (log lines are written every 250 ms).
    const logged = Date.now() + 5000;
    while (workers.lines.filter((line) => line.msg === 'llm call').length < CALLS && Date.now() < logged) {
      await new Promise((done) => setTimeout(done, 50));
    }
    const served = workers.lines.filter((line) => line.msg === 'llm call').map((line) => line.pid);
    expect(served).toHaveLength(CALLS);
    expect(new Set(served).size).toBeGreaterThan(1);

    const truth = (await getText(listeningUrl(single), '/metrics')).text;
    const counted = samplesOf(truth, COUNTED);
    const summed = samplesOf(truth, SUMMED);
    expect([...counted].filter(([key]) => key.startsWith('llm_requests_total{')).reduce((a, [, v]) => a + v, 0)).toBe(
      CALLS,
    );
    // Six scrapes on connections of their own: the workers take them in turn, so each answers at least one.
    for (let scrape = 0; scrape < 6; scrape++) {
      const { status, text } = await getText(listeningUrl(workers), '/metrics');
      expect(status).toBe(200);
      expect(samplesOf(text, COUNTED)).toEqual(counted);
      const cost = samplesOf(text, SUMMED);
      expect([...cost.keys()].sort()).toEqual([...summed.keys()].sort());
      for (const [key, value] of summed) expect(cost.get(key)).toBeCloseTo(value, 12);
    }
  }, 60_000);

  test('the dashboard on any worker shows the totals of every worker', async () => {
    const truth = JSON.parse((await getText(listeningUrl(single), '/dashboard/data')).text) as {
      total: { requests: number; tokens: Record<string, number> };
    };
    for (let read = 0; read < 3; read++) {
      const data = JSON.parse((await getText(listeningUrl(workers), '/dashboard/data')).text) as typeof truth;
      expect(data.total.requests).toBe(truth.total.requests);
      expect(data.total.tokens).toEqual(truth.total.tokens);
    }
  });

  test('calls in flight are summed over the workers', async () => {
    const before = simulator.requests.length;
    const slow = { ...mixedCall(0), reply: { headersDelayMs: 1500 } };
    const calls = Array.from({ length: 6 }, () => sendCall(listeningUrl(workers), slow));
    const deadline = Date.now() + 5000;
    while (simulator.requests.length < before + 6 && Date.now() < deadline) await new Promise((d) => setTimeout(d, 20));
    const { text } = await getText(listeningUrl(workers), '/metrics');
    const inFlight = parseSamples(text).filter((sample) => sample.name === 'llm_requests_in_flight');
    expect(inFlight.reduce((sum, sample) => sum + sample.value, 0)).toBe(6);
    expect(await Promise.all(calls)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  test('a killed worker is replaced, and the replacement is logged', async () => {
    const [victim] = workerPids(workers);
    if (victim === undefined) throw new Error('no worker pids');
    process.kill(victim, 'SIGKILL');
    const exited = await workers.waitForLine(
      (line) => line.msg === 'a proxy worker exited; starting a replacement' && line.worker === victim,
      `about worker ${victim} exiting`,
    );
    expect(exited.signal).toBe('SIGKILL');
    const replacement = await workers.waitForLine(
      (line) => line.msg === 'llmeter proxy listening' && !workerPids(workers).includes(line.pid),
      'from a replacement worker',
    );
    expect(isRunning(replacement.pid)).toBe(true);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sendCall(listeningUrl(workers), mixedCall(i * 5))),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const { status, text } = await getText(listeningUrl(workers), '/metrics');
    expect(status).toBe(200);
    expect(text).toContain('llm_requests_total{');
  });

  test('SIGTERM drains every worker: calls in flight finish, every worker stops, exit status 0', async () => {
    const pids = [
      ...new Set(workers.lines.filter((line) => line.msg === 'llmeter proxy listening').map((line) => line.pid)),
    ].filter(isRunning);
    expect(pids).toHaveLength(3);
    const before = simulator.requests.length;
    const slow = { ...mixedCall(0), reply: { headersDelayMs: 1000 } };
    const calls = Array.from({ length: 6 }, () => sendCall(listeningUrl(workers), slow));
    const deadline = Date.now() + 5000;
    while (simulator.requests.length < before + 6 && Date.now() < deadline) await new Promise((d) => setTimeout(d, 20));
    const code = await workers.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await Promise.all(calls)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(pids.filter(isRunning)).toEqual([]);
    const stopped = workers.lines.filter((line) => line.msg === 'llmeter proxy stopped').map((line) => line.pid);
    expect(new Set(stopped)).toEqual(new Set([...pids, workers.pid]));
  }, 30_000);
});
