import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One scrape job of a test Prometheus. */
export interface ScrapeTarget {
  job: string;
  /** `host:port` of the target. */
  target: string;
  /** Default `/metrics`. */
  metricsPath?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
}

/** One sample of an instant-vector query result. */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/** A Prometheus server started for a test. */
export interface PrometheusServer {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Runs an instant PromQL query through the HTTP API (`/api/v1/query`); vectors and scalars. */
  query(promql: string): Promise<PromSample[]>;
  /**
   * Re-runs `promql` until `accept` takes its result (scrapes land every scrape interval), then returns it.
   * Throws with the last result once `timeoutMs` passed.
   */
  waitFor(promql: string, accept: (samples: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>;
  /** Kills the server and deletes its storage. */
  stop(): Promise<void>;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  targets: readonly ScrapeTarget[];
  /** Default 1. */
  scrapeIntervalSeconds?: number;
  /** Default `/usr/bin/prometheus` (Debian's `prometheus` package). */
  binary?: string;
  /** How long to wait for the server to be ready. Default 30 s. */
  startTimeoutMs?: number;
}

/**
 * Starts a real Prometheus on a free loopback port, with a temporary config and TSDB directory, scraping
 * `targets`. Always {@link PrometheusServer.stop} it (in `afterAll`); it is also killed if the test process exits.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? '/usr/bin/prometheus';
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const dir = await mkdtemp(join(tmpdir(), 'llmeter-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const jobs = options.targets.map((target) =>
    [
      `  - job_name: ${JSON.stringify(target.job)}`,
      `    metrics_path: ${JSON.stringify(target.metricsPath ?? '/metrics')}`,
      ...(target.bearerToken === undefined
        ? []
        : ['    authorization:', `      credentials: ${JSON.stringify(target.bearerToken)}`]),
      '    static_configs:',
      `      - targets: [${JSON.stringify(target.target)}]`,
    ].join('\n'),
  );
  await writeFile(
    configFile,
    `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n${jobs.join('\n')}\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nprometheus stderr:\n${stderr}`);
  }

  const query = async (promql: string): Promise<PromSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as PromQueryResponse;
    if (body.status !== 'success' || body.data === undefined) {
      throw new Error(`PromQL ${promql} failed: ${body.error ?? response.status}`);
    }
    const { resultType, result } = body.data;
    if (resultType === 'scalar') return [{ labels: {}, value: Number((result as [number, string])[1]) }];
    if (resultType !== 'vector') throw new Error(`PromQL ${promql}: unexpected result type ${resultType}`);
    return (result as { metric: Record<string, string>; value: [number, string] }[]).map((sample) => ({
      labels: sample.metric,
      value: Number(sample.value[1]),
    }));
  };

  const waitFor = async (
    promql: string,
    accept: (samples: PromSample[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<PromSample[]> => {
    const deadline = Date.now() + timeoutMs;
    let last: PromSample[] = [];
    for (;;) {
      last = await query(promql);
      if (accept(last)) return last;
      if (Date.now() > deadline)
        throw new Error(`PromQL ${promql}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  return { url, query, waitFor, stop };
}

interface PromQueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with status ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus was not ready after ${timeoutMs} ms`);
}

/** A port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
