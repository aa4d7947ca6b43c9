import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { isMessage, type MetricsJson } from './cluster-messages.js';
import { ConfigError } from './config.js';

/** How to run the primary of `llmeter proxy --workers N`. */
export interface ProxyClusterOptions {
  /** Workers to keep running (each a copy of this program, started by `node:cluster`, sharing the port). */
  workers: number;
  /** The workers' shutdown budget (`timeouts.shutdownMs`): a drain waits this long, plus the records' time. */
  shutdownMs: number;
  logger: Logger;
  /** How long the primary waits for each worker's metrics when a worker asks for the sum. Default 5000 ms. */
  metricsTimeoutMs?: number;
}

/** The primary of a running proxy cluster. */
export interface RunningProxyCluster {
  /** The pids of the workers running now. */
  pids(): number[];
  /** The sum over every worker of its metrics, as `getMetricsAsJSON()` gives them. */
  metrics(): Promise<MetricsJson>;
  /**
   * Asks every worker to drain (stop taking calls, finish those in flight within the shutdown budget, exit), waits
   * for them, and kills any still running after the budget. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** Above the workers' own budget: their records of cut calls and the end of their log (see proxy-server.ts). */
const DRAIN_MARGIN_MS = 3000;

/**
 * Runs the primary of a proxy cluster, in a `node:cluster` primary: forks `workers` copies of this program (each
 * must call `startProxy({ clusterWorker: true })`), replaces a worker that dies (and logs it), and sums the
 * workers' metrics whenever one of them serves `/metrics` or its dashboard. Resolves once every worker listens.
 * @throws {ConfigError} when a worker exits before it listens (its own message, on stderr, says why).
 * @example
 * ```ts
 * if (cluster.isPrimary) {
 *   const running = await startProxyCluster({ workers: 4, shutdownMs: 10_000, logger });
 *   process.once('SIGTERM', () => void running.close());
 * } else {
 *   await startProxy({ ...settings, clusterWorker: true });
 * }
 * ```
 */
export async function startProxyCluster(options: ProxyClusterOptions): Promise<RunningProxyCluster> {
  const { logger } = options;
  const metricsTimeoutMs = options.metricsTimeoutMs ?? 5000;
  const listening = new Set<Worker>();
  let closing: Promise<void> | undefined;
  let nextRequest = 0;
  const requests = new Map<number, { pending: Set<Worker>; responses: MetricsJson[]; settle: () => void }>();

  const collect = (): Promise<MetricsJson> =>
    new Promise((resolve, reject) => {
      const id = nextRequest++;
      const pending = new Set([...listening].filter((worker) => worker.isConnected()));
      const request = {
        pending,
        responses: [] as MetricsJson[],
        settle: () => {
          if (request.pending.size > 0) return;
          clearTimeout(timer);
          requests.delete(id);
          resolve(AggregatorRegistry.aggregate(request.responses).getMetricsAsJSON() as Promise<MetricsJson>);
        },
      };
      const timer = setTimeout(() => {
        requests.delete(id);
        const late = [...request.pending].map((worker) => worker.process.pid).join(', ');
        reject(new Error(`workers ${late} did not send their metrics within ${metricsTimeoutMs} ms`));
      }, metricsTimeoutMs);
      requests.set(id, request);
      for (const worker of pending) worker.send({ type: 'llmeter:local-request', id });
      request.settle();
    });

  const onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage(message, 'llmeter:local-response')) {
      const request = requests.get(message.id);
      if (request === undefined || !request.pending.delete(worker)) return;
      if (message.metrics !== undefined) request.responses.push(message.metrics);
      else logger.warn({ worker: worker.process.pid, error: message.error }, 'a worker could not read its metrics');
      request.settle();
    } else if (isMessage(message, 'llmeter:aggregate-request')) {
      collect().then(
        (metrics) => send(worker, { type: 'llmeter:aggregate-response', id: message.id, metrics }),
        (error: unknown) => send(worker, { type: 'llmeter:aggregate-response', id: message.id, error: String(error) }),
      );
    }
  };

  // A worker that is gone no longer holds up a sum: its counts went with it (the sum drops, which Prometheus
  // reads as a counter reset).
  const forget = (worker: Worker): void => {
    listening.delete(worker);
    for (const request of requests.values()) if (request.pending.delete(worker)) request.settle();
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => listening.add(worker));
    return worker;
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const wasListening = listening.has(worker);
    forget(worker);
    if (closing !== undefined || !started) return;
    logger.warn({ worker: worker.process.pid, code, signal }, 'a proxy worker exited; starting a replacement');
    // A worker that died before it listened would die again at once: wait a little between such attempts.
    if (wasListening) fork();
    else setTimeout(() => closing === undefined && fork(), 1000).unref();
  };

  let started = false;
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  const first = Array.from({ length: options.workers }, fork);
  try {
    await Promise.all(
      first.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('listening', () => resolve());
            worker.once('exit', (code, signal) =>
              reject(new ConfigError(`a proxy worker exited (${code ?? signal}) before it listened`)),
            );
          }),
      ),
    );
  } catch (error) {
    for (const worker of first) if (!worker.isDead()) worker.process.kill('SIGKILL');
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
    throw error;
  }
  started = true;
  logger.info({ workers: options.workers, pids: first.map((worker) => worker.process.pid) }, 'proxy workers listening');

  const close = (): Promise<void> => {
    closing ??= (async () => {
      const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
      const exited = workers.map(
        (worker) =>
          new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))),
      );
      for (const worker of workers) send(worker, { type: 'llmeter:drain' });
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), options.shutdownMs + DRAIN_MARGIN_MS);
      });
      if ((await Promise.race([Promise.all(exited), budget])) === 'late') {
        const late = workers.filter((worker) => !worker.isDead());
        logger.warn({ workers: late.map((worker) => worker.process.pid) }, 'proxy workers still running; killing them');
        for (const worker of late) worker.process.kill('SIGKILL');
        await Promise.all(exited);
      }
      clearTimeout(timer);
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
    })();
    return closing;
  };

  return {
    pids: () => [...listening].map((worker) => worker.process.pid).filter((pid) => pid !== undefined),
    metrics: collect,
    close,
  };
}

/** Sends over a worker's IPC channel, unless it is already closed (the worker is exiting). */
function send(worker: Worker, message: unknown): void {
  if (worker.isConnected()) worker.send(message as Parameters<Worker['send']>[0]);
}
