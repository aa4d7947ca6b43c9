import { AggregatorRegistry, type Metric, Registry } from 'prom-client';
import { isMessage, type MetricsJson } from './cluster-messages.js';

/** The primary did not send the sum of the workers' metrics (timed out, or it reported an error). */
export class ClusterMetricsError extends Error {
  override readonly name = 'ClusterMetricsError';
}

/** What a worker talks to its primary through: `process` in a `node:cluster` worker. */
export interface PrimaryChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A worker's view of the metrics of every worker of its cluster, summed by the primary. */
export interface ClusterMetricsView {
  /**
   * A registry whose metrics read the sum over every worker, one metric for each of the worker's own: for the
   * dashboard. Metrics read together (at once) share one request to the primary.
   */
  readonly registry: Registry;
  /** The Prometheus text of the sum over every worker, or undefined when `signal` aborted first. */
  render(signal?: AbortSignal): Promise<string | undefined>;
  /** Stops answering the primary. */
  close(): void;
}

/** How long a worker waits for the primary's sum. Above the primary's own wait for the workers (5 s). */
const AGGREGATE_TIMEOUT_MS = 8000;

/**
 * Joins a worker of `llmeter proxy --workers N` to its primary: answers the primary's requests for this worker's
 * own metrics (`local`), and gives the worker the sum over every worker, which its `/metrics` and dashboard
 * serve, so that whichever worker a scrape reaches it sees the same totals.
 * @example
 * ```ts
 * const view = joinProxyCluster(registry); // in a node:cluster worker
 * const text = await view.render(); // every worker's counters, histograms and in-flight gauges, summed
 * ```
 */
export function joinProxyCluster(local: Registry, channel: PrimaryChannel = processChannel()): ClusterMetricsView {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (metrics: MetricsJson) => void; reject: (error: Error) => void }>();
  let flight: Promise<MetricsJson> | undefined;

  const onMessage = (message: unknown): void => {
    if (isMessage(message, 'llmeter:local-request')) {
      local.getMetricsAsJSON().then(
        (metrics) => channel.send({ type: 'llmeter:local-response', id: message.id, metrics }),
        (error: unknown) => channel.send({ type: 'llmeter:local-response', id: message.id, error: String(error) }),
      );
    } else if (isMessage(message, 'llmeter:aggregate-response')) {
      const pending = waiting.get(message.id);
      if (pending === undefined) return;
      waiting.delete(message.id);
      if (message.metrics !== undefined) pending.resolve(message.metrics);
      else pending.reject(new ClusterMetricsError(`the primary could not sum the workers' metrics: ${message.error}`));
    }
  };
  channel.on('message', onMessage);

  const ask = (): Promise<MetricsJson> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(
          new ClusterMetricsError(`the primary did not send the workers' metrics within ${AGGREGATE_TIMEOUT_MS} ms`),
        );
      }, AGGREGATE_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (metrics) => {
          clearTimeout(timer);
          resolve(metrics);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      channel.send({ type: 'llmeter:aggregate-request', id });
    });
  // Single flight: reads that come while a request is under way share its answer (the dashboard reads nine
  // metrics at once; they must come from one sum, not nine).
  const aggregate = (): Promise<MetricsJson> => {
    flight ??= ask().finally(() => {
      flight = undefined;
    });
    return flight;
  };

  const registry = new Registry();
  for (const metric of local.getMetricsAsArray()) {
    const { name, help, type, aggregator } = metric;
    const summed = {
      name,
      help,
      type,
      aggregator,
      get: async () =>
        (await aggregate()).find((one) => one.name === name) ?? { name, help, type, aggregator, values: [] },
    };
    // prom-client's own AggregatorRegistry registers such read-only wrappers; they only need `get` and names.
    registry.registerMetric(summed as unknown as Metric);
  }

  return {
    registry,
    async render(signal) {
      if (signal?.aborted) return undefined;
      const metrics = await aggregate();
      if (signal?.aborted) return undefined;
      // Re-aggregating one set is the identity for every aggregator (sum, first, min, max, average); `omit`ted
      // metrics were already left out by the primary.
      return AggregatorRegistry.aggregate([metrics]).metrics();
    },
    close() {
      channel.off('message', onMessage);
      for (const pending of waiting.values()) pending.reject(new ClusterMetricsError('the worker is stopping'));
      waiting.clear();
    },
  };
}

function processChannel(): PrimaryChannel {
  if (process.send === undefined) throw new ClusterMetricsError('not a cluster worker: there is no IPC channel');
  const send = process.send.bind(process);
  return {
    send: (message) => send(message),
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
  };
}

/**
 * Resolves when the primary asks this worker to drain, or when the IPC channel to it closes (the primary is
 * gone: nobody would replace or stop this worker).
 */
export function drainRequested(channel: NodeJS.Process = process): Promise<'drain' | 'disconnect'> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isMessage(message, 'llmeter:drain')) return;
      done();
      resolve('drain');
    };
    const onDisconnect = (): void => {
      done();
      resolve('disconnect');
    };
    const done = (): void => {
      channel.off('message', onMessage);
      channel.off('disconnect', onDisconnect);
    };
    channel.on('message', onMessage);
    channel.once('disconnect', onDisconnect);
  });
}
