import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sampleSum } from '../support/prometheus-text.js';

// A shutdown whose budget (`timeouts.shutdownMs`) streams outlast: every cut call is recorded once as `aborted`
// and logged once, the logger is flushed before it ends, `llmeter proxy` exits 0, and an embedding program's
// `close()` leaves no unhandled rejection behind.

const ROOT = resolve(import.meta.dirname, '../..');
// The bin as npm links it, running the build (`npm test` builds before vitest).
const CLI = realpathSync(join(ROOT, 'node_modules/.bin/llmeter'));
const STREAMS = 3;
const SHUTDOWN_MS = 300;
/** A stream of 40 chunks 100 ms apart: 4 s, far past the shutdown budget. */
const LONG_STREAM = JSON.stringify({ chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), chunkDelayMs: 100 });
const REQUEST = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Hi' }] });

let simulator: Simulator;
let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  simulator = await startSimulator();
  dir = await mkdtemp(join(tmpdir(), 'llmeter-shutdown-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `STREAMS` long streams through `baseUrl`; resolves once each has delivered its first bytes. */
async function startStreams(baseUrl: string): Promise<Promise<void>[]> {
  const read: Promise<void>[] = [];
  const started: Promise<void>[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const response = fetch(`${baseUrl}/sim/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': LONG_STREAM },
      body: REQUEST,
    });
    let first: () => void = () => {};
    started.push(new Promise((resolve) => (first = resolve)));
    read.push(
      (async () => {
        const reader = (await response).body?.getReader();
        for (;;) {
          const chunk = await reader?.read();
          first();
          if (!chunk || chunk.done) return;
        }
      })().catch(() => {
        // Cut by the shutdown, as expected.
      }),
    );
  }
  await Promise.all(started);
  return read;
}

test('startProxy().close() past the budget: each cut call recorded once as aborted, no unhandled rejection', async () => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  try {
    const registry = new Registry();
    // The default logger (pino on stdout, asynchronous): the one a shutdown must flush and end last.
    const proxy = await startProxy({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      registry,
      dashboard: false,
      upstreams: { sim: simulator.url },
      timeouts: { shutdownMs: SHUTDOWN_MS },
    });
    const streams = await startStreams(proxy.url);
    expect(sampleSum(await registry.metrics(), 'llm_requests_in_flight')).toBe(STREAMS);
    const startedAt = performance.now();
    await proxy.close();
    expect(performance.now() - startedAt).toBeLessThan(SHUTDOWN_MS + 2000);
    await Promise.all(streams);
    // Late events (sockets closing, timers) have had their turn.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const metrics = await registry.metrics();
    expect(sampleSum(metrics, 'llm_requests_in_flight')).toBe(0);
    expect(sampleSum(metrics, 'llm_requests_total', { provider: 'sim' })).toBe(STREAMS);
    expect(sampleSum(metrics, 'llm_request_failures_total', { provider: 'sim', error_type: 'aborted' })).toBe(STREAMS);
    expect(rejections).toEqual([]);
    // Closing again is harmless.
    await proxy.close();
  } finally {
    process.off('unhandledRejection', onRejection);
  }
});

test('llmeter proxy, SIGTERM past the budget: exit 0, each cut call logged once as aborted', async () => {
  const config = join(dir, 'short-shutdown.yaml');
  await writeFile(config, ['timeouts:', `  shutdownMs: ${SHUTDOWN_MS}`].join('\n'));
  const child = spawn(
    process.execPath,
    [CLI, 'proxy', '--port', '0', '--host', '127.0.0.1', '--upstream', `sim=${simulator.url}`, '--config', config],
    { stdio: 'pipe' },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const lines = (): Record<string, unknown>[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  let url: string | undefined;
  for (let waited = 0; url === undefined && waited < 15_000; waited += 50) {
    url = lines().find((line) => line.msg === 'llmeter proxy listening')?.url as string | undefined;
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(url, stderr).toBeDefined();
  const streams = await startStreams(url as string);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(sampleSum(metrics, 'llm_requests_in_flight')).toBe(STREAMS);

  child.kill('SIGTERM');
  const code = await exited;
  await Promise.all(streams);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const calls = lines().filter((line) => line.msg === 'llm call');
  expect(calls).toHaveLength(STREAMS);
  for (const call of calls) expect(call).toMatchObject({ upstream: 'sim', error_type: 'aborted', stream: true });
  // The logger was ended last: its final line is there.
  expect(lines().at(-1)?.msg).toBe('llmeter proxy stopped');
});
