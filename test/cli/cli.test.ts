import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sampleSum } from '../support/prometheus-text.js';

// The contract is the bin as npm links it (`npx llmeter`), running the build (`npm test` builds before vitest).
const ROOT = resolve(import.meta.dirname, '../..');
const LINKED = join(ROOT, 'node_modules/.bin/llmeter');
const CLI = realpathSync(LINKED);
const BUILT = join(ROOT, 'apps/cli/dist/cli.js');

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
function run(args: string[], env: Record<string, string> = {}): Promise<Exited> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  return collect(child);
}

// Preloaded in a child: records every module Node resolves (imports and require()s, module.registerHooks) and
// prints them to stderr as one JSON line at exit.
const RECORD_MODULES = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const resolved = new Set();
registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); resolved.add(result.url); return result; } });
process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify([...resolved]) + '\\n'));
`)}`;

/** Runs the CLI to completion, with the modules it loaded. */
async function runRecording(args: string[], env: Record<string, string> = {}): Promise<Exited & { modules: string[] }> {
  const child = spawn(process.execPath, ['--import', RECORD_MODULES, CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const exited = await collect(child);
  const [stderr = '', modules = '[]'] = exited.stderr.split('\nMODULES ');
  return { ...exited, stderr, modules: JSON.parse(modules) as string[] };
}

function collect(child: ChildProcess): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
}

/** A proxy started by the CLI, with its URL read from its "listening" log line. */
interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<Exited>;
  lines: () => Record<string, unknown>[];
}

const children: ChildProcess[] = [];

async function start(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'proxy', ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  children.push(child);
  const exited = collect(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const lines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const url = await new Promise<string>((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line; output: ${output}`)), 10_000);
    const check = (): void => {
      const listening = lines().find((line) => line.msg === 'llmeter proxy listening');
      if (listening) {
        clearTimeout(timer);
        found(String(listening.url));
      }
    };
    child.stdout?.on('data', check);
    void exited.then((result) => fail(new Error(`exited ${result.code}: ${result.stderr}`)));
  });
  return { child, url, exited, lines };
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let simulator: Simulator;
let dir: string;
beforeAll(async () => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" first`);
  simulator = await startSimulator();
  dir = await mkdtemp(join(tmpdir(), 'llmeter-cli-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await simulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('llmeter (built bin)', () => {
  test('npm links the bin at install time, to a committed, executable entry point', () => {
    expect(CLI).toBe(join(ROOT, 'apps/cli/bin/llmeter.js'));
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
  });

  test('demo, the README main command, runs, prints the cost per model, and stops by itself', async () => {
    const port = await freePort();
    const result = await run(['demo', '--duration', '2', '--rps', '10', '--speed', '10', '--port', String(port)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`http://127.0.0.1:${port}/dashboard`);
    const total = /^total\s+(\d+)\s.*\$(\d+\.\d+)\s*$/m.exec(result.stdout);
    expect(Number(total?.[1])).toBeGreaterThan(0);
    expect(Number(total?.[2])).toBeGreaterThan(0);
  }, 30_000);

  test('--help documents every flag and environment variable', async () => {
    const result = await run(['proxy', '--help']);
    expect(result.code).toBe(0);
    for (const text of [
      '--host',
      '--port',
      '--upstream NAME=URL',
      '--config',
      '--label-header',
      '--metrics-token',
      '--stream-usage',
      '--log-level',
      'LLMETER_PORT',
      'LLMETER_HOST',
      'LLMETER_CONFIG',
      'openai=https://api.openai.com',
      'anthropic=https://api.anthropic.com',
    ]) {
      expect(result.stdout).toContain(text);
    }
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('proxy');
  });

  test('every command answers --help, and --help and usage errors load neither prom-client nor the prices', async () => {
    for (const [args, status] of [
      [['proxy', '--help'], 0],
      [['demo', '--help'], 0],
      [['simulate', '--help'], 0],
      [['proxy', '--port', 'x'], 2],
      [['demo', '--rps', '0'], 2],
    ] as const) {
      const result = await runRecording([...args]);
      expect(result.code, result.stderr).toBe(status);
      if (status === 0) expect(result.stdout).toMatch(new RegExp(`^Usage: llmeter ${args[0]} \\[options\\]\\n`));
      // The recording works: the CLI itself and its config schema were seen.
      expect(result.modules.some((url) => url.endsWith('/apps/cli/dist/cli.js'))).toBe(true);
      expect(result.modules.some((url) => url.includes('/node_modules/valibot/'))).toBe(true);
      const heavy = result.modules.filter((url) =>
        /\/node_modules\/(prom-client|@pydantic\/genai-prices|tiktoken|openai|@anthropic-ai\/sdk|pino)\/|\/packages\/core\//.test(
          url,
        ),
      );
      expect(heavy, args.join(' ')).toEqual([]);
    }
  });

  test('usage and configuration errors exit with status 2 and say what is wrong', async () => {
    const unknownCommand = await run(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await run(['proxy', '--no-such-flag']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--no-such-flag');
    const badUpstream = await run(['proxy', '--upstream', 'openai=ftp://example.com']);
    expect(badUpstream.code).toBe(2);
    expect(badUpstream.stderr).toContain('only http and https');
    const badPort = await run(['proxy'], { LLMETER_PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('LLMETER_PORT must be an integer, got "eighty"');
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'prots: 8080\nlimits:\n  requestBodyBytes: x\n');
    const badConfig = await run(['proxy', '--config', config]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr.split('\n')).toEqual([
      `llmeter proxy: ${config}: limits.requestBodyBytes must be a positive number, got "x"`,
      expect.stringMatching(new RegExp(`^llmeter proxy: ${config}: unknown setting "prots" \\(known: host, port, `)),
      'Run "llmeter proxy --help" for usage.',
      '',
    ]);
  });

  test('flags win over the environment; a call through it is measured; SIGTERM exits 0', async () => {
    // LLMETER_PORT names a port that is taken by nothing but is overridden by --port.
    const envPort = await freePort();
    const proxy = await start(
      ['--port', '0', '--upstream', `sim=${simulator.url}`, '--label-header', 'team', '--log-level', 'info'],
      { LLMETER_PORT: String(envPort), LLMETER_HOST: '127.0.0.1' },
    );
    expect(new URL(proxy.url).port).not.toBe(String(envPort));
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-cli', 'x-llmeter-label-team': 'cli' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(sampleSum(metrics, 'llm_requests_total', { provider: 'sim', team: 'cli', status: 'ok' })).toBe(1);
    expect(metrics).toContain('process_cpu_user_seconds_total');
    proxy.child.kill('SIGTERM');
    const exited = await proxy.exited;
    expect(exited.code).toBe(0);
    expect(exited.stdout).not.toContain('sk-cli');
    expect(proxy.lines().some((line) => line.msg === 'llm call' && line.upstream === 'sim')).toBe(true);
  });

  test('runs the proxy in the same process with its Node options, unless NODE_OPTIONS sets its own', async () => {
    const commandLine = (pid: number | undefined): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const newSpace = async (url: string): Promise<number | undefined> =>
      sampleSum(await (await fetch(`${url}/metrics`)).text(), 'nodejs_heap_space_size_total_bytes', { space: 'new' });
    const proxy = await start(['--port', '0', '--upstream', `sim=${simulator.url}`], { NODE_OPTIONS: '' });
    // The same process id as the one started: signals and supervisors see no difference.
    expect(proxy.lines().find((line) => line.msg === 'llmeter proxy listening')?.pid).toBe(proxy.child.pid);
    expect(commandLine(proxy.child.pid).split('\0')).toContain('--max-semi-space-size=4');
    // Two semi-spaces of 4 MiB at most (Node's default let the proxy's grow to 16 MiB while it started).
    expect(await newSpace(proxy.url)).toBeLessThanOrEqual(8 * 1024 * 1024);
    proxy.child.kill('SIGTERM');
    expect((await proxy.exited).code).toBe(0);

    const own = await start(['--port', '0', '--upstream', `sim=${simulator.url}`], {
      NODE_OPTIONS: '--max-semi-space-size=16',
    });
    expect(commandLine(own.child.pid)).not.toContain('--max-semi-space-size=4');
    expect(await newSpace(own.url)).toBeGreaterThan(8 * 1024 * 1024);
    own.child.kill('SIGTERM');
    expect((await own.exited).code).toBe(0);
  });

  test('the environment and a config file configure it; SIGTERM lets a stream in flight finish', async () => {
    const port = await freePort();
    const config = join(dir, 'llmeter.yaml');
    await writeFile(
      config,
      [
        'upstreams:',
        `  upstream-from-file: ${simulator.url}`,
        'prices:',
        '  house-model: { input: 1, output: 2 }',
        'timeouts:',
        '  shutdownMs: 5000',
        'logLevel: warn',
      ].join('\n'),
    );
    const proxy = await start(['--log-level', 'info'], {
      LLMETER_PORT: String(port),
      LLMETER_HOST: '127.0.0.1',
      LLMETER_CONFIG: config,
    });
    expect(proxy.url).toBe(`http://127.0.0.1:${port}`);
    // The config file's price for a model of its own.
    const json = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': '{"usage":{"input":1000,"output":500}}' },
      body: JSON.stringify({ model: 'house-model', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await json.arrayBuffer();
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(sampleSum(metrics, 'llm_cost_usd_total', { model: 'house-model' })).toBeCloseTo(
      (1000 * 1 + 500 * 2) / 1e6,
      12,
    );
    // A stream that takes ~600 ms; SIGTERM arrives while it runs.
    const reply = { chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 200, usage: { input: 1000, output: 500 } };
    const streaming = fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': JSON.stringify(reply) },
      body: JSON.stringify({ model: 'house-model', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    const response = await streaming;
    const metricsBefore = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(sampleSum(metricsBefore, 'llm_requests_in_flight', { provider: 'upstream-from-file' })).toBe(1);
    proxy.child.kill('SIGTERM');
    const body = await response.text();
    expect(body).toContain('data: [DONE]');
    const exited = await proxy.exited;
    expect(exited.code).toBe(0);
    const call = proxy.lines().find((line) => line.msg === 'llm call' && line.stream === true);
    expect(call).toMatchObject({
      upstream: 'upstream-from-file',
      model: 'house-model',
      status: 200,
      input_tokens: 1000,
    });
    expect(call?.error_type).toBeUndefined();
  });

  test('a second SIGTERM exits at once (143), without waiting for the stream in flight', async () => {
    const port = await freePort();
    const config = join(dir, 'slow-shutdown.yaml');
    await writeFile(config, ['timeouts:', '  shutdownMs: 60000'].join('\n'));
    const proxy = await start(['--port', String(port), '--upstream', `sim=${simulator.url}`, '--config', config]);
    // A stream that takes 30 s: the first SIGTERM waits for it (up to the minute the config allows).
    const reply = { chunks: Array.from({ length: 30 }, () => 'x'), chunkDelayMs: 1000 };
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-reply': JSON.stringify(reply) },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const body = response.text().catch(() => 'cut');
    proxy.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(proxy.child.exitCode).toBeNull();
    const secondAt = performance.now();
    proxy.child.kill('SIGTERM');
    const exited = await proxy.exited;
    expect(exited.code).toBe(143);
    expect(performance.now() - secondAt).toBeLessThan(2000);
    expect(exited.stderr).toContain('llmeter proxy: second SIGTERM, stopping without waiting');
    await body;
  });
});
