import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { type MetricsSummary, summarizeMetrics } from '@llmeter/core';
import { startProxy } from '@llmeter/proxy';
import { instrument, llmeterMiddleware } from '@llmeter/sdk';
import { startSimulator } from '@llmeter/simulator';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { wrapLanguageModel } from 'ai';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { DEMO_DEFAULTS } from './demo-defaults.js';
import { LiveSummary, type SummaryHeader, type SummaryOutput } from './terminal-summary.js';
import { AI_SDK_MODELS, type TrafficCounts, TrafficDriver, type TrafficWay } from './traffic-driver.js';

/** How to run the demo. Every field is optional. */
export interface DemoOptions {
  /** How long to send traffic. Default: until `signal` aborts (Ctrl-C). */
  durationSeconds?: number | undefined;
  /** Calls per second, across both ways in. Default: {@link DEMO_DEFAULTS}. */
  rps?: number | undefined;
  /** The proxy's port; 0 for any free one. Default: {@link DEMO_DEFAULTS}. */
  port?: number | undefined;
  /** Seed of the simulated upstream and of the call mix. Default: {@link DEMO_DEFAULTS}. */
  seed?: number | undefined;
  /** Where the summary goes. Default `process.stdout`; a TTY gets a table refreshed in place. */
  output?: NodeJS.WritableStream | undefined;
  /** Stops the demo early (the command aborts it on SIGINT and SIGTERM). */
  signal?: AbortSignal | undefined;
  /** Time multiplier of the simulated upstream: 10 makes every latency ten times shorter. Default: {@link DEMO_DEFAULTS}. */
  speed?: number | undefined;
  /** Share of simulated calls that fail (429, 5xx, hangs, cut streams). Default 0.03. */
  faultRate?: number | undefined;
  /** How often the summary refreshes. Default 1 s on a TTY, 5 s elsewhere. */
  refreshMs?: number | undefined;
  /** At the end, how long calls under way may finish before they are aborted. Default: {@link DEMO_DEFAULTS}. */
  drainMs?: number | undefined;
}

/** What a finished demo did. */
export interface DemoResult {
  /** The final per-model summary. */
  summary: MetricsSummary;
  /** Where the proxy listened (closed now). */
  proxyUrl: string;
  /** Where the simulated upstream listened (closed now). */
  simulatorUrl: string;
  /** Calls the traffic driver sent. */
  traffic: TrafficCounts;
  /** True when `signal` stopped the demo before its duration. */
  interrupted: boolean;
}

/** The label that tells the two ways in apart on every metric. */
export const DEMO_LABEL = 'via';

// A client gives up a little after the proxy does, so a hung upstream shows as the proxy's 504 (`timeout`) on the
// proxy path and as the SDK's own timeout on the SDK path; simulated hangs outlast both.
const PROXY_UPSTREAM_TIMEOUT_MS = 10_000;
const CLIENT_TIMEOUT_MS = 12_000;
const HANG_MS = 15_000;
const API_KEY = 'sk-llmeter-demo-no-key-needed';

/**
 * `llmeter demo`: starts the realistic simulated upstream, the proxy in front of it (with `/metrics` and
 * `/dashboard`), and real `openai`, `@anthropic-ai/sdk` and `@google/genai` clients and Vercel AI SDK models
 * (`ai` with `@ai-sdk/openai` and `@ai-sdk/anthropic`) sending traffic both ways in: instrumented clients and
 * models wrapped in `llmeterMiddleware` talking to the simulator directly (label `via="sdk"`), and plain clients
 * pointed at the proxy (header `x-llmeter-label-via: proxy`), all recorded on one registry, so that the providers
 * show side by side. An instrumented `@aws-sdk/client-bedrock-runtime` client sends Bedrock Converse traffic
 * (provider `aws.bedrock`) the SDK way only, as the proxy does not forward Bedrock. Prints a live per-model
 * summary until the duration ends or `signal` aborts, then stops everything (calls under way finish or are
 * aborted, servers close) and prints the final summary.
 * @throws {ConfigError} when the proxy cannot start (the port is taken, say); nothing is left running then.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const output: SummaryOutput = options.output ?? process.stdout;
  const rps = options.rps ?? DEMO_DEFAULTS.rps;
  const seed = options.seed ?? DEMO_DEFAULTS.seed;
  const drainMs = options.drainMs ?? DEMO_DEFAULTS.drainMs;
  const startedAt = performance.now();

  const simulator = await startSimulator({
    profile: 'realistic',
    seed,
    faultRate: options.faultRate,
    speed: options.speed ?? DEMO_DEFAULTS.speed,
    hangMs: HANG_MS,
  });
  const registry = new Registry();
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  try {
    proxy = await startProxy({
      port: options.port ?? DEMO_DEFAULTS.port,
      // The simulator answers every provider's paths (Gemini's under any prefix) on its one address.
      upstreams: { openai: simulator.url, anthropic: simulator.url, gemini: simulator.url },
      labelHeaders: [DEMO_LABEL],
      // A daily budget on the calls that come through the proxy, so that the budget metrics and rules show.
      budgets: [{ labels: { [DEMO_LABEL]: 'proxy' }, usd: 5, period: 'day' }],
      registry,
      logLevel: 'silent',
      timeouts: { upstreamMs: PROXY_UPSTREAM_TIMEOUT_MS, shutdownMs: drainMs },
    });
  } catch (error) {
    await simulator.close();
    throw error;
  }

  const clientOptions = { apiKey: API_KEY, maxRetries: 0, timeout: CLIENT_TIMEOUT_MS };
  const sdkLabels = { labels: { [DEMO_LABEL]: 'sdk' }, registry };
  const proxyHeaders = { [`x-llmeter-label-${DEMO_LABEL}`]: 'proxy' };
  const viaProxy = { defaultHeaders: proxyHeaders };
  // `attempts: 1`: no retries, as the other clients, so that a simulated fault shows as one failed call.
  const geminiOptions = (baseUrl: string, headers?: Record<string, string>) => ({
    apiKey: API_KEY,
    httpOptions: { baseUrl, timeout: CLIENT_TIMEOUT_MS, retryOptions: { attempts: 1 }, headers },
  });
  const aiSdkModels = (openaiBaseURL: string, anthropicBaseURL: string, headers?: Record<string, string>) => ({
    openai: createOpenAI({ apiKey: API_KEY, baseURL: openaiBaseURL, headers }).chat(AI_SDK_MODELS.openai),
    anthropic: createAnthropic({ apiKey: API_KEY, baseURL: anthropicBaseURL, headers })(AI_SDK_MODELS.anthropic),
  });
  const sdkModels = aiSdkModels(`${simulator.url}/v1`, `${simulator.url}/v1`);
  // Bedrock, through the SDK only (the proxy does not forward it: SigV4 signs the host). The simulator checks no
  // signature, so any credentials do; it speaks HTTP/1.1, where the client would speak HTTP/2 to AWS.
  const bedrock = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: simulator.url,
    credentials: { accessKeyId: 'AKIDLLMETERDEMO', secretAccessKey: API_KEY },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ requestTimeout: CLIENT_TIMEOUT_MS }),
  });
  const middleware = llmeterMiddleware(sdkLabels);
  const ways: TrafficWay[] = [
    {
      name: 'sdk',
      openai: instrument(new OpenAI({ ...clientOptions, baseURL: `${simulator.url}/v1` }), {
        ...sdkLabels,
        provider: 'openai',
      }),
      anthropic: instrument(new Anthropic({ ...clientOptions, baseURL: simulator.url }), {
        ...sdkLabels,
        provider: 'anthropic',
      }),
      gemini: instrument(new GoogleGenAI(geminiOptions(simulator.url)), sdkLabels),
      aiSdk: {
        openai: wrapLanguageModel({ model: sdkModels.openai, middleware }),
        anthropic: wrapLanguageModel({ model: sdkModels.anthropic, middleware }),
      },
      bedrock: instrument(bedrock, sdkLabels),
    },
    {
      name: 'proxy',
      openai: new OpenAI({ ...clientOptions, ...viaProxy, baseURL: `${proxy.url}/v1` }),
      anthropic: new Anthropic({ ...clientOptions, ...viaProxy, baseURL: `${proxy.url}/anthropic` }),
      gemini: new GoogleGenAI(geminiOptions(`${proxy.url}/gemini`, proxyHeaders)),
      aiSdk: aiSdkModels(`${proxy.url}/v1`, `${proxy.url}/anthropic/v1`, proxyHeaders),
    },
  ];
  const driver = new TrafficDriver({ rps, ways, seed });
  const live = new LiveSummary(output);
  const links: SummaryHeader['links'] = [
    ['metrics', `${proxy.url}/metrics`],
    ['dashboard', `${proxy.url}/dashboard`],
    [
      'proxy',
      `OPENAI_BASE_URL=${proxy.url}/v1  ANTHROPIC_BASE_URL=${proxy.url}/anthropic  GOOGLE_GEMINI_BASE_URL=${proxy.url}/gemini`,
    ],
  ];
  const elapsed = () => (performance.now() - startedAt) / 1000;
  const title = (state: string) =>
    `llmeter demo ${state}: ${rps} calls/s through the SDK and the proxy to a simulated upstream (no API key, no network)`;

  output.write(`${title('running')}\n${links.map(([label, url]) => `  ${label}: ${url}`).join('\n')}\n`);
  output.write(
    options.durationSeconds === undefined
      ? 'Press Ctrl-C to stop.\n\n'
      : `Running for ${options.durationSeconds} s (Ctrl-C stops earlier).\n\n`,
  );

  let interrupted = false;
  let refreshTimer: NodeJS.Timeout | undefined;
  let refreshing = false;
  try {
    driver.start();
    const refresh = async (): Promise<void> => {
      // A slow registry read must not pile refreshes up.
      if (refreshing) return;
      refreshing = true;
      try {
        live.refresh(
          await summarizeMetrics(registry),
          { title: `${title('running')} · ${Math.round(elapsed())} s`, links },
          elapsed(),
        );
      } finally {
        refreshing = false;
      }
    };
    refreshTimer = setInterval(() => void refresh(), options.refreshMs ?? (live.interactive ? 1000 : 5000));
    interrupted = await waitForEnd(options.durationSeconds, options.signal);
  } finally {
    clearInterval(refreshTimer);
    await driver.shutdown(drainMs);
    // Closing the proxy lets it record the calls it saw end (aborted ones included) before the last read.
    await proxy.close();
    await simulator.close();
    bedrock.destroy();
  }

  const summary = await summarizeMetrics(registry);
  const traffic = driver.stats;
  live.finish(summary, {
    title: `llmeter demo ${interrupted ? 'stopped' : 'finished'} after ${Math.round(elapsed())} s: ${traffic.started} calls sent, servers closed`,
    links: [],
  });
  return { summary, proxyUrl: proxy.url, simulatorUrl: simulator.url, traffic, interrupted };
}

/** Resolves after `durationSeconds`, or when `signal` aborts (with true). */
function waitForEnd(durationSeconds: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer =
      durationSeconds === undefined
        ? undefined
        : setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve(false);
          }, durationSeconds * 1000);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
