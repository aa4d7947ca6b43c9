import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, InvalidPriceError, type Meter, MeterConfigError, preloadTokenizers } from '@llmeter/core';
import { createDashboard, type DashboardHistoryOptions } from '@llmeter/dashboard';
import { type Logger, pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, type ProxyConfig, type ProxyConfigInput, resolveConfig } from './config.js';
import { isOwnRoute, ownRoutesListener } from './own-routes.js';
import { PassThrough } from './pass-through.js';
import { Router } from './routing.js';

/** How to start a proxy: any configuration setting, plus what an embedding program provides. */
export interface StartProxyOptions extends ProxyConfigInput {
  /**
   * The registry the metrics live on, served at `/metrics`. Default: a new registry of the proxy's own (the
   * proxy is a program; it does not share prom-client's global one).
   */
  registry?: Registry;
  /** Also export the Node process metrics (`process_*`, `nodejs_*`) on the registry. Default false. */
  processMetrics?: boolean;
  /** Where the per-call log lines go. Default: pino on stdout at `logLevel`. */
  logger?: Logger;
  /**
   * Serve the built-in dashboard at `/dashboard` (a bounded in-memory history of the metrics). Default true,
   * except with a metrics token: the page cannot send one, and the dashboard shows what `/metrics` guards.
   * An object turns it on with its history's sampling options.
   */
  dashboard?: boolean | DashboardHistoryOptions;
}

/** A running proxy. */
export interface RunningProxy {
  /** Base URL, e.g. `http://127.0.0.1:8787`; clients use `${url}/v1` as their OpenAI base URL. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly config: ProxyConfig;
  readonly meter: Meter;
  readonly registry: Registry;
  readonly logger: Logger;
  /**
   * Stops accepting connections, lets calls in flight finish (up to `timeouts.shutdownMs`, then cuts them,
   * recorded as `aborted`) and closes every connection. Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Starts `llmeter proxy` in this process.
 * @throws {ConfigError} when the configuration is invalid (bad upstream URL, price, label name…).
 */
export async function startProxy(options: StartProxyOptions = {}): Promise<RunningProxy> {
  const { registry: givenRegistry, processMetrics, logger: givenLogger, dashboard, ...input } = options;
  const config = resolveConfig(input);
  const registry = givenRegistry ?? new Registry();
  // Log lines are batched (written at 4 KiB, or every 250 ms): one write per call would cost the proxy
  // about a tenth of its CPU per request. Flushed on close.
  const destination = givenLogger
    ? undefined
    : pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
  const logger = givenLogger ?? pino({ name: 'llmeter', level: config.logLevel }, destination);
  let meter: Meter;
  try {
    meter = createMeter({
      registry,
      labelNames: config.labelHeaders,
      prices: config.prices,
      limits: config.cardinality,
      onError: (error) => logger.warn({ err: error }, 'a measurement failed and was skipped'),
    });
  } catch (error) {
    if (error instanceof InvalidPriceError || error instanceof MeterConfigError || error instanceof RangeError) {
      throw new ConfigError(error.message, { cause: error });
    }
    throw error;
  }
  if (processMetrics) collectDefaultMetrics({ register: registry });

  let shuttingDown = false;
  const passThrough = new PassThrough({
    router: new Router(config.upstreams),
    meter,
    streamUsage: config.streamUsage,
    limits: config.limits,
    upstreamTimeoutMs: config.timeouts.upstreamMs,
    labelHeaders: config.labelHeaders,
    logger,
  });
  const ownDashboard =
    dashboard === false || (dashboard === undefined && config.metricsToken)
      ? undefined
      : createDashboard({ registry, history: typeof dashboard === 'object' ? dashboard : {} });
  const ownRoutes = ownRoutesListener({
    registry,
    metricsToken: config.metricsToken,
    shuttingDown: () => shuttingDown,
    dashboard: ownDashboard,
  });
  const server = createServer({ noDelay: true }, (req, res) => {
    if (isOwnRoute(req.url ?? '/')) void ownRoutes(req, res);
    else passThrough.handle(req, res);
  });
  // Upgrades (WebSocket APIs) are not proxied; refuse them instead of leaving the socket hanging.
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\n\r\n'));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  // In passthrough mode every stream is counted locally: build the tokenizers now, not during traffic.
  if (config.streamUsage === 'passthrough') preloadTokenizers(['gpt-4o', 'gpt-4']);
  await listen(server, config.port, config.host);
  ownDashboard?.start();
  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  logger.info(
    { url, upstreams: Object.fromEntries(config.upstreams.map((u) => [u.name, u.url.href])) },
    'llmeter proxy listening',
  );
  destination?.flush();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, config.timeouts.shutdownMs);
      });
      await Promise.race([passThrough.idle(), deadline]);
      clearTimeout(timer);
      passThrough.abortAll();
      server.closeAllConnections();
      await closed;
      await ownDashboard?.close();
      passThrough.destroy();
      logger.info('llmeter proxy stopped');
      destination?.flushSync();
      destination?.end();
    })();
    return closing;
  };

  return { url, host: config.host, port, config, meter, registry, logger, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(new ConfigError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
