import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { preloadTokenizers } from '@llmeter/core';
import { type RunningProxy, type StartProxyOptions, startProxy } from '@llmeter/proxy';
import { Registry } from 'prom-client';
import { sampleSum } from '../support/prometheus-text.js';
import { type RawResponder, type RawUpstream, startRawUpstream } from './raw-tcp-upstream.js';

// A full collection before each reading, so that growth is what something still holds, not garbage not yet freed
// (zlib's native buffers, for one, go only when their handles are collected).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * The resident set growth (after a full GC) a hostile test file may cause: the proxy, its upstream and the client
 * share the process, and each file sends a few hundred hostile calls. Measured: 13-30 MiB (V8 keeps the heap it
 * grew to; the heap still in use stays within a few MiB). A body or socket held per call would exceed it.
 */
export const HOSTILE_RSS_BOUND = 64 * 1024 * 1024;

/** This process's resident set size after a full garbage collection, in bytes. */
export function residentAfterGc(): number {
  gc();
  return process.memoryUsage.rss();
}

/**
 * The memory of this process's ArrayBuffers (every Buffer) after a full garbage collection, in bytes. Read it after
 * {@link residentAfterGc}: V8 sweeps the buffers a collection freed concurrently, so right after one the figure
 * can still count them (7 MiB once in the soak test, read after a single collection); this is the second.
 */
export function buffersAfterGc(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

/** A proxy in this process in front of a {@link RawUpstream} (upstream `raw`, so `/raw/v1/...` reaches it). */
export interface ProxyUnderTest {
  proxy: RunningProxy;
  /** The proxy's port on 127.0.0.1, for raw clients. */
  port: number;
  upstream: RawUpstream;
  /** `/metrics`, fetched over HTTP. */
  metrics(): Promise<string>;
  /** The sum of a metric's samples matching `labels`, from a fresh `/metrics`. */
  sum(name: string, labels?: Record<string, string>): Promise<number>;
  /**
   * Waits (up to 3 s) until no call is in flight, then returns what every hostile test asserts: `/healthz`'s status,
   * `llm_requests_in_flight`, and the calls recorded so far (`llm_requests_total`).
   */
  steady(): Promise<{ healthz: number; inFlight: number; recorded: number }>;
  /** Resident set size growth since the start (the tokenizers loaded before it), after a full GC, in bytes. */
  rssGrowth(): number;
  close(): Promise<void>;
}

/** Starts a raw upstream answering with `respond`, and a silent proxy routing `raw` to it. */
export async function startProxyUnderTest(
  respond: RawResponder,
  options: StartProxyOptions = {},
): Promise<ProxyUnderTest> {
  const upstream = await startRawUpstream(respond);
  const proxy = await startProxy({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    registry: new Registry(),
    dashboard: false,
    ...options,
    upstreams: { raw: upstream.url, ...options.upstreams },
  });
  const metrics = async (): Promise<string> => {
    const response = await fetch(`${proxy.url}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  };
  const sum = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    sampleSum(await metrics(), name, labels);
  // Loaded once, on the first stream without usage: a one-time cost (~80 MB), not growth under traffic.
  preloadTokenizers(['gpt-4o', 'gpt-4']);
  const baselineRss = residentAfterGc();
  return {
    proxy,
    port: proxy.port,
    upstream,
    metrics,
    sum,
    steady: async () => {
      const deadline = Date.now() + 3000;
      let inFlight = await sum('llm_requests_in_flight');
      while (inFlight !== 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight = await sum('llm_requests_in_flight');
      }
      const healthz = (await fetch(`${proxy.url}/healthz`)).status;
      return { healthz, inFlight, recorded: await sum('llm_requests_total') };
    },
    rssGrowth: () => residentAfterGc() - baselineRss,
    close: async () => {
      await proxy.close();
      await upstream.close();
    },
  };
}
