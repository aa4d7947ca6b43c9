import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RunningProxy, type StartProxyOptions, startProxy } from '@llmeter/proxy';
import { Registry } from 'prom-client';
import { sampleSum } from '../support/prometheus-text.js';

export const MiB = 1024 * 1024;

/** A raw `node:http` upstream whose every answer `handler` writes byte by byte, as a hostile server would. */
export interface RawUpstream {
  readonly url: string;
  /** The request bodies received, whole, in order. */
  readonly bodies: Buffer[];
  close(): Promise<void>;
}

/** The model of {@link warmUp}'s request, which the raw upstream answers itself. */
const WARM_UP_MODEL = 'warm-up';
const warmUpEvent = Buffer.from(
  `data: ${JSON.stringify({ id: 'w', model: WARM_UP_MODEL, choices: [{ index: 0, delta: { content: 'w'.repeat(1000) } }] })}\n\n`,
);

export async function startRawUpstream(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<RawUpstream> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.includes(`"model":"${WARM_UP_MODEL}"`)) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        void writeAll(
          res,
          Array.from({ length: (32 * MiB) / warmUpEvent.length }, () => warmUpEvent),
        );
        return;
      }
      bodies.push(body);
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `pieces` to `res` honouring backpressure, then ends it (unless `end` is false); resolves once written. */
export function writeAll(res: ServerResponse, pieces: Iterable<Buffer>, end = true): Promise<void> {
  const iterator = pieces[Symbol.iterator]();
  return new Promise((resolve, reject) => {
    res.on('error', reject);
    const write = (): void => {
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          if (end) res.end(resolve);
          else resolve();
          return;
        }
        if (!res.write(next.value)) {
          res.once('drain', write);
          return;
        }
      }
    };
    write();
  });
}

/** A proxy with `upstream` as its `hostile` upstream, on its own registry, logging nothing. */
export async function startMeasuredProxy(
  upstream: string,
  options: Omit<StartProxyOptions, 'upstreams' | 'registry'> = {},
): Promise<{ proxy: RunningProxy; registry: Registry }> {
  const registry = new Registry();
  const proxy = await startProxy({
    port: 0,
    logLevel: 'silent',
    dashboard: false,
    ...options,
    registry,
    upstreams: { hostile: upstream },
  });
  return { proxy, registry };
}

/** A sum over the proxy's own metrics, read as Prometheus would (`llm_` prefix included in `name`). */
export async function metricSum(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return sampleSum(await registry.metrics(), name, labels);
}

/** Waits until the proxy has no call in flight (it records a call a moment after the client saw its end). */
export async function settled(registry: Registry, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await metricSum(registry, 'llm_requests_in_flight')) !== 0) {
    if (Date.now() > deadline) throw new Error('calls still in flight');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What a raw client read: the status, the headers, the body bytes as they came, and when the first came. */
export interface RawReply {
  status: number;
  headers: IncomingMessage['headers'];
  /** Bytes received in all (the body is not kept unless `keep` was set). */
  received: number;
  body: Buffer;
}

/**
 * POSTs `body` with `node:http` (no decompression, no parsing: the bytes as the proxy sent them). `onBytes` sees
 * each chunk as it arrives; the body is kept whole only with `keep`.
 */
export function rawPost(
  url: string,
  body: Buffer | string,
  options: {
    keep?: boolean;
    onBytes?: (chunk: Buffer, received: number) => void;
    headers?: Record<string, string>;
  } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip', ...options.headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (options.keep) chunks.push(chunk);
        options.onBytes?.(chunk, received);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, received, body: Buffer.concat(chunks) }),
      );
    });
    req.end(body);
  });
}

/**
 * Streams 32 MiB of ordinary chat chunks through the proxy and its measured copy, so that what any first
 * exchange costs (socket buffers reaching their size, compiled code, the heap's first growth) is not counted as
 * the growth a test measures after it.
 */
export async function warmUp(proxy: RunningProxy, registry: Registry): Promise<void> {
  const body = JSON.stringify({
    model: WARM_UP_MODEL,
    stream: true,
    stream_options: { include_usage: true },
    messages: [],
  });
  await within(rawPost(`${proxy.url}/hostile/v1/chat/completions`, body), 20_000, 'the warm-up');
  await settled(registry);
}

/** `GET /healthz` answers 200: the proxy is up. */
export async function healthy(proxy: RunningProxy): Promise<boolean> {
  const response = await fetch(`${proxy.url}/healthz`);
  await response.arrayBuffer();
  return response.ok;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What a {@link memoryProbe} measured: peak growth over its baseline. */
export interface MemoryGrowth {
  /** Resident set size, sampled every 10 ms: everything, garbage not yet collected included. */
  rss: number;
  /** Heap and buffers still held after a full collection, sampled at each `sample()`: what is kept. */
  retained: number;
}

/**
 * Measures this process's memory from `start()` to `stop()`. The proxy, its upstream and its client share the
 * process, so their socket buffers count too. RSS is sampled on a timer; what is retained (heap plus buffers
 * after a full collection) is sampled when the test calls `sample()`, e.g. every 10 MiB received.
 */
export function memoryProbe(): { start(): void; sample(): void; stop(): MemoryGrowth } {
  let rssBaseline = 0;
  let rssPeak = 0;
  let retainedBaseline = 0;
  let retainedPeak = 0;
  let timer: NodeJS.Timeout | undefined;
  const retained = (): number => {
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  return {
    start() {
      retainedBaseline = retained();
      retainedPeak = retainedBaseline;
      rssBaseline = process.memoryUsage.rss();
      rssPeak = rssBaseline;
      timer = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      }, 10);
    },
    sample() {
      retainedPeak = Math.max(retainedPeak, retained());
    },
    stop() {
      clearInterval(timer);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      return { rss: rssPeak - rssBaseline, retained: retainedPeak - retainedBaseline };
    },
  };
}

/** Resolves when `promise` does, or rejects after `ms` (a hostile case must never hang its test). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
