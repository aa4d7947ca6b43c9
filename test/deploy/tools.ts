import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DEPLOY_DIR = resolve(here, '../../deploy');
export const PROMETHEUS_DIR = join(DEPLOY_DIR, 'prometheus');
export const RULE_FILES = [
  join(PROMETHEUS_DIR, 'llmeter-recording-rules.yml'),
  join(PROMETHEUS_DIR, 'llmeter-alert-rules.yml'),
] as const;
export const DASHBOARD_FILE = join(DEPLOY_DIR, 'grafana', 'llmeter.json');

// Debian's `prometheus` package puts both here; CI installs it.
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or kills it after `timeoutMs`), never throwing on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<RunResult>((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`cannot run ${command} (install Debian's prometheus package): ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

export function promtool(args: readonly string[], cwd?: string): Promise<RunResult> {
  return run(PROMTOOL, args, cwd === undefined ? {} : { cwd });
}

/** A panel target or variable as the dashboard JSON holds it (only the fields the tests read). */
export interface DashboardTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x?: number; y?: number; w?: number; h?: number };
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: DashboardTarget[];
}

export interface DashboardVariable {
  type?: string;
  name?: string;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  __inputs?: { name?: string; type?: string; pluginId?: string }[];
  __requires?: { type?: string; id?: string }[];
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: DashboardPanel[];
  templating?: { list?: DashboardVariable[] };
}

export async function readDashboard(): Promise<Dashboard> {
  // Shape checked field by field by the tests that read it.
  return JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel query of the dashboard, with where it comes from (for failure messages). */
export function dashboardExprs(dashboard: Dashboard): { where: string; expr: string }[] {
  return (dashboard.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr === undefined
        ? []
        : [{ where: `panel ${panel.id} "${panel.title}" ${target.refId}`, expr: target.expr }],
    ),
  );
}

/**
 * What Grafana would send to Prometheus: template variables replaced by values that select everything
 * ("All" is `.*` on every variable), `$__rate_interval` by a typical 5m and `$__range` by 1h.
 */
export function interpolate(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(provider|model|operation)\}?/g, '.*');
}

/** Names recorded by the recording rules file. */
export async function recordedNames(): Promise<string[]> {
  const text = await readFile(RULE_FILES[0], 'utf8');
  return [...text.matchAll(/^\s*- record:\s*(\S+)\s*$/gm)].map((match) => match[1] ?? '');
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface PrometheusServer {
  url: string;
  /** POSTs an instant query; returns the parsed API answer. */
  query(expr: string): Promise<PrometheusAnswer>;
  get(path: string): Promise<PrometheusAnswer>;
  stop(): Promise<void>;
}

export interface PrometheusAnswer {
  status: string;
  error?: string;
  data?: unknown;
}

/**
 * Starts a real Prometheus on a free loopback port with a throwaway TSDB, and waits until it is ready. `config`
 * is the prometheus.yml text.
 */
export async function startPrometheus(config: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'llmeter-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Info, not warn: it is only shown when start-up fails, and then the start-up steps are what helps.
      '--log.level=info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.once('error', () => undefined);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s: ${log}`);
    }
    await sleep(100);
  }

  const answer = async (response: Response) => (await response.json()) as PrometheusAnswer;
  const timeout = () => AbortSignal.timeout(10_000);
  return {
    url,
    query: async (expr) =>
      answer(
        await fetch(`${url}/api/v1/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query: expr }),
          signal: timeout(),
        }),
      ),
    get: async (path) => answer(await fetch(`${url}${path}`, { signal: timeout() })),
    stop,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `check` until it returns true, or throws `message` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, message: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(200);
  }
}
