import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, InvalidPriceError, type Meter, MeterConfigError, preloadTokenizers } from '@llmeter/core';
import { createDashboard, type DashboardHistoryOptions } from '@llmeter/dashboard';
import { type DestinationStream, type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, type ProxyConfig, type ProxyConfigInput, resolveConfig } from './config.js';
import { exposureWarning, hostAllowList } from './host-guard.js';
import { KEY_ID_LABEL, keyIdReader } from './key-id.js';
import { isOwnRoute, ownRoutesListener } from './own-routes.js';
import { PassThrough } from './pass-through.js';
import { collectProcessMetrics } from './process-metrics.js';
import { Router } from './routing.js';
import { joinProxyCluster } from './worker-metrics.js';

/** How to start a proxy: any configuration setting, plus what an embedding program provides. */
export interface StartProxyOptions extends ProxyConfigInput {
  /**
   * The registry the metrics live on, served at `/metrics`. Default: a new registry of the proxy's own (the
   * proxy is a program; it does not share prom-client's global one).
   */
  registry?: Registry;
  /**
   * Also export the Node process metrics (`process_*`, `nodejs_*`: CPU, memory, heap, open files, event loop
   * lag) on the registry, less the three `nodejs_active_*_total` gauges `promtool check metrics` rejects.
   * Default false.
   */
  processMetrics?: boolean;
  /** Where the per-call log lines go. Default: pino on stdout at `logLevel`. */
  logger?: Logger;
  /**
   * Serve the built-in dashboard at `/dashboard` (a bounded in-memory history of the metrics). Default true,
   * except with a metrics token: the page cannot send one, and the dashboard shows what `/metrics` guards.
   * An object turns it on with its history's sampling options.
   */
  dashboard?: boolean | DashboardHistoryOptions;
  /**
   * This process is a worker of `startProxyCluster` (`llmeter proxy --workers N`): `/metrics` and the dashboard
   * serve the sum over every worker, which the primary collects over IPC; the meter still records on `registry`.
   * Default false.
   */
  clusterWorker?: boolean;
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
   * Stops accepting connections, lets calls in flight finish (up to `timeouts.shutdownMs`, then cuts them, each
   * recorded and logged once as `aborted`), closes every connection, then flushes and ends the default logger's
   * destination (that logger is silent afterwards; a given `logger` is left open). Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Starts `llmeter proxy` in this process.
 * @throws {ConfigError} when the configuration is invalid (bad upstream URL, price, label name…).
 */
export async function startProxy(options: StartProxyOptions = {}): Promise<RunningProxy> {
  const { registry: givenRegistry, processMetrics, logger: givenLogger, dashboard, clusterWorker, ...input } = options;
  const config = resolveConfig(input);
  const registry = givenRegistry ?? new Registry();
  // Log lines are batched (written at 32 KiB, or every 250 ms): one write per call would cost the proxy
  // about a tenth of its CPU per request, one per 4 KiB still a few µs a call. Flushed on close.
  const destination = givenLogger
    ? undefined
    : pino.destination({
        dest: 1,
        sync: false,
        minLength: 32 * 1024,
        maxWrite: 64 * 1024,
        periodicFlush: 250,
        contentMode: 'buffer',
      });
  const lines = destination && linesAsBuffers(destination);
  const logger = givenLogger ?? pino({ name: 'llmeter', level: config.logLevel }, lines);
  let meter: Meter;
  try {
    meter = createMeter({
      registry,
      // `key_id` is the proxy's own label: no client header sets it.
      labelNames: config.keyIdSalt === undefined ? config.labelHeaders : [...config.labelHeaders, KEY_ID_LABEL],
      prices: config.prices,
      budgets: config.budgets,
      limits: config.cardinality,
      onError: (error) => logger.warn({ err: error }, 'a measurement failed and was skipped'),
    });
  } catch (error) {
    if (error instanceof InvalidPriceError || error instanceof MeterConfigError || error instanceof RangeError) {
      throw new ConfigError(error.message, { cause: error });
    }
    throw error;
  }
  if (processMetrics) collectProcessMetrics(registry);
  const cluster = clusterWorker ? joinProxyCluster(registry) : undefined;

  let shuttingDown = false;
  const passThrough = new PassThrough({
    router: new Router(config.upstreams),
    meter,
    streamUsage: config.streamUsage,
    limits: config.limits,
    upstreamTimeoutMs: config.timeouts.upstreamMs,
    labelHeaders: config.labelHeaders,
    logger,
    // The proxy's own logger writes pino's default format: call lines are built as text (see call-log.ts).
    writeCallLine: lines && ((line: string) => lines.write(line)),
    keyId: config.keyIdSalt === undefined ? undefined : keyIdReader(config.keyIdSalt),
  });
  const ownDashboard =
    dashboard === false || (dashboard === undefined && config.metricsToken)
      ? undefined
      : createDashboard({
          registry: cluster?.registry ?? registry,
          history: typeof dashboard === 'object' ? dashboard : {},
        });
  const ownRoutes = ownRoutesListener({
    registry,
    metricsToken: config.metricsToken,
    hostAllowed: hostAllowList(config.host, config.allowedHosts),
    onHostRefused: () => meter.refused('host_not_allowed'),
    shuttingDown: () => shuttingDown,
    dashboard: ownDashboard,
    renderMetrics: cluster?.render,
  });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (isOwnRoute(req.url ?? '/')) void ownRoutes(req, res);
    else passThrough.handle(req, res);
  };
  const server = createServer({ noDelay: true }, onRequest);
  // `Expect: 100-continue`: a body the proxy would refuse is refused before the client sends it (no 100 first).
  server.on('checkContinue', (req, res) => {
    if (!isOwnRoute(req.url ?? '/') && passThrough.refuseBeforeBody(req, res)) return;
    res.writeContinue();
    onRequest(req, res);
  });
  // Upgrades (WebSocket APIs) are not proxied; refuse them instead of leaving the socket hanging.
  server.on('upgrade', (_req, socket) => {
    meter.refused('upgrade_not_supported');
    socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\n\r\n');
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Counted when answered: a client that reset its connection was not refused, it left.
    if (socket.writable) {
      meter.refused('malformed_request');
      socket.end(`HTTP/1.1 ${clientErrorStatus(error)}\r\nconnection: close\r\n\r\n`);
    } else socket.destroy();
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
  const exposure = exposureWarning(config.host, config.metricsToken);
  if (exposure !== undefined) logger.warn({ host: config.host, port }, exposure);
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
      // Past the budget: each call still under way is recorded and logged as `aborted`, then cut; the logger
      // must outlive those records.
      passThrough.abortAll();
      await settledWithin(passThrough.idle(), RECORDS_MS);
      server.closeAllConnections();
      await closed;
      await ownDashboard?.close();
      cluster?.close();
      passThrough.destroy();
      logger.info('llmeter proxy stopped');
      if (destination !== undefined) {
        await endLog(destination);
        // A line logged after this would throw ("SonicBoom destroyed"); there is nowhere left to write it.
        logger.level = 'silent';
      }
    })();
    return closing;
  };

  return { url, host: config.host, port, config, meter, registry, logger, close };
}

/**
 * The destination as pino writes to it: each line handed over as bytes. In its default (text) mode, sonic-boom
 * measures the UTF-8 length of all the text it holds on every line written (up to 16 KiB while a write is under
 * way), which cost a few µs a call; in `buffer` mode it adds up the lines' lengths.
 */
function linesAsBuffers(destination: ReturnType<typeof pino.destination>): DestinationStream {
  // sonic-boom's types name only its text mode's `write(string)`.
  const sink = destination as unknown as { write(chunk: Buffer): boolean };
  return {
    write: (line: string) => {
      sink.write(Buffer.from(line));
    },
    flush: (callback?: (error?: Error) => void) => destination.flush(callback),
  } as DestinationStream;
}

/** How long a shutdown waits for the records of the calls it cut (and for the log to drain), at most. */
const RECORDS_MS = 2000;

/** Resolves when `promise` does, or after `ms`, whichever comes first. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Writes out what the asynchronous log destination still holds, then ends it (bounded: stdout may be stuck). */
function endLog(destination: ReturnType<typeof pino.destination>): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    destination.once('close', () => resolve());
    destination.once('error', () => resolve());
  });
  destination.end();
  return settledWithin(ended, RECORDS_MS);
}

/**
 * The status line for a request Node could not parse, as Node itself would answer it: 431 for headers over
 * `maxHeaderSize`, 413 for chunk extensions over its limit, 408 for a request not received in time, else 400.
 */
function clientErrorStatus(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return '431 Request Header Fields Too Large';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return '413 Payload Too Large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return '408 Request Timeout';
    default:
      return '400 Bad Request';
  }
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
