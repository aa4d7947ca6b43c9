import Anthropic from '@anthropic-ai/sdk';
import { type RunningProxy, type StartProxyOptions, startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { sampleSum } from '../support/prometheus-text.js';
import { suiteResource } from '../support/suite-resource.js';

/** A simulator as the `openai` and `anthropic` upstreams, and a proxy in front of it, on its own registry. */
export interface ProxyHarness {
  simulator: Simulator;
  proxy: RunningProxy;
  registry: Registry;
  /** An OpenAI client whose base URL is the proxy; no retries, so every call is counted once. */
  openai(options?: { apiKey?: string }): OpenAI;
  /** An Anthropic client whose base URL is the proxy's `/anthropic` route. */
  anthropic(): Anthropic;
  /** `/metrics` fetched over HTTP from the proxy. */
  metrics(): Promise<string>;
  /** The sum of a metric's samples matching `labels`, from a fresh `/metrics`. */
  sum(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** More upstreams beside the simulator's, or a function of the simulator's URL that names them. */
export type ExtraUpstreams = Record<string, string> | ((simulatorUrl: string) => Record<string, string>);

/**
 * Starts a simulator and a proxy routing `openai` (default), `anthropic` and `gemini` to it, then `extraUpstreams`.
 */
export async function startHarness(
  options: StartProxyOptions = {},
  extraUpstreams: ExtraUpstreams = {},
): Promise<ProxyHarness> {
  const simulator = await startSimulator();
  const extra = typeof extraUpstreams === 'function' ? extraUpstreams(simulator.url) : extraUpstreams;
  const registry = new Registry();
  const proxy = await startProxy({
    port: 0,
    logLevel: 'silent',
    registry,
    ...options,
    upstreams: { openai: simulator.url, anthropic: simulator.url, gemini: simulator.url, ...extra },
  });
  const metrics = async (): Promise<string> => {
    const token = proxy.config.metricsToken;
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const response = await fetch(`${proxy.url}/metrics`, { headers });
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  };
  return {
    simulator,
    proxy,
    registry,
    openai: (clientOptions = {}) =>
      new OpenAI({ apiKey: clientOptions.apiKey ?? 'sk-test-key', baseURL: `${proxy.url}/v1`, maxRetries: 0 }),
    anthropic: () => new Anthropic({ apiKey: 'sk-ant-test-key', baseURL: `${proxy.url}/anthropic`, maxRetries: 0 }),
    metrics,
    sum: async (name, labels = {}) => sampleSum(await metrics(), name, labels),
    close: async () => {
      await proxy.close();
      await simulator.close();
    },
  };
}

/**
 * A harness for the whole test file: started in `beforeAll`, closed in `afterAll`. Its members may be read only
 * inside hooks and tests, once it has started.
 *
 * @example
 * const h = useHarness({ labelHeaders: ['team'] });
 * test('counts', async () => expect(await h.sum('llm_requests_total')).toBe(0));
 */
export function useHarness(options: StartProxyOptions = {}, extraUpstreams: ExtraUpstreams = {}): ProxyHarness {
  const current = suiteResource(
    () => startHarness(options, extraUpstreams),
    'the harness starts in beforeAll: read it inside a hook or test',
    30_000,
  );
  return {
    get simulator() {
      return current().simulator;
    },
    get proxy() {
      return current().proxy;
    },
    get registry() {
      return current().registry;
    },
    openai: (clientOptions) => current().openai(clientOptions),
    anthropic: () => current().anthropic(),
    metrics: () => current().metrics(),
    sum: (name, labels) => current().sum(name, labels),
    close: () => current().close(),
  };
}

/**
 * Waits until every call the proxy took is recorded (none in flight): a client can see the end of its
 * response a moment before the proxy records it.
 */
export async function settled(harness: ProxyHarness, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await harness.sum('llm_requests_in_flight')) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('calls still in flight');
}
