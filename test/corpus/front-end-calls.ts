import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { nonZeroByLabel, sampleSum } from '../support/prometheus-text.js';
import type { ReplayUpstream } from '../support/replay-upstream.js';
import { type CorpusFixture, corpusFixtures, requestBody, responseBytes } from './corpus.js';
import type { Bill } from './independent-bill.js';
import { pathModel } from './replayed-fixtures.js';

// The calls the corpus replay tests make through each front end, and what they read back from a registry.

/** The body a fixture's request sent (or, when the corpus kept only its top-level fields, a stand-in with them). */
export function callBody(fixture: CorpusFixture): Record<string, unknown> {
  const kept = requestBody(fixture);
  if (kept !== undefined) return kept;
  if (fixture.provider === 'google') {
    if (fixture.api === 'vertex-predict') return { instances: [{ content: 'Hello' }] };
    return { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] };
  }
  const manifest = corpusFixtures().find((one) => one.id === fixture.id) as CorpusFixture & {
    request?: { topLevelFields?: Record<string, unknown> };
  };
  const fields = manifest.request?.topLevelFields ?? { model: 'gpt-5-nano', stream: fixture.stream };
  const prompt =
    fixture.api === 'openai-responses' ? { input: 'Hello' } : { messages: [{ role: 'user', content: 'Hello' }] };
  return { ...prompt, ...fields };
}

/** The proxy's route names, by the corpus's provider (Google: Vertex AI by its host). OpenAI's is the default route. */
const ROUTES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  ollama: 'ollama',
  groq: 'groq',
  vllm: 'vllm',
  'azure-openai': 'azure',
  openrouter: 'openrouter',
};

/** The route (and so the `provider` label) a fixture's upstream has: the same through the proxy and the SDK. */
export function routeName(fixture: CorpusFixture): string {
  if (fixture.provider === 'google') return fixture.endpoint.host.includes('aiplatform') ? 'vertex' : 'gemini';
  return ROUTES[fixture.provider] ?? fixture.provider;
}

/** The proxy's path for a fixture: its route's prefix (none for OpenAI, the default route), then the recorded path. */
export function proxyPath(fixture: CorpusFixture): string {
  const route = routeName(fixture) === 'openai' ? '' : `/${routeName(fixture)}`;
  const query = fixture.endpoint.query === undefined ? '' : `?${fixture.endpoint.query}`;
  return `${route}${fixture.endpoint.path}${query}`;
}

/** What a registry holds about its calls. */
export async function recordOf(registry: Registry) {
  const text = await registry.metrics();
  return {
    requests: sampleSum(text, 'llm_requests_total'),
    errorTypes: nonZeroByLabel(text, 'llm_request_failures_total', 'error_type'),
    tokens: nonZeroByLabel(text, 'llm_tokens_total', 'type'),
    cost: sampleSum(text, 'llm_cost_usd_total'),
    unpriced: sampleSum(text, 'llm_unpriced_requests_total'),
    estimated: sampleSum(text, 'llm_usage_estimated_total'),
    missing: sampleSum(text, 'llm_usage_missing_total'),
    inFlight: sampleSum(text, 'llm_requests_in_flight'),
  };
}

export type Record_ = Awaited<ReturnType<typeof recordOf>>;

/** Waits until a registry recorded `calls` calls: a client can see its response end a moment before. */
export async function recorded(registry: Registry, calls = 1): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = await registry.metrics();
    if (sampleSum(text, 'llm_requests_total') === calls && sampleSum(text, 'llm_requests_in_flight') === 0) return;
    if (Date.now() > deadline) throw new Error('the call was not recorded');
    await new Promise((done) => setTimeout(done, 5));
  }
}

/** Checks tokens by type and cost against a bill. */
export function expectBill(record: Record_, bill: Bill): void {
  const nonZero = Object.fromEntries(Object.entries(bill.tokens).filter(([, value]) => value !== 0));
  expect(record.tokens).toEqual(nonZero);
  if (bill.cost === undefined) {
    expect(record.unpriced).toBeGreaterThanOrEqual(1);
    expect(record.cost).toBe(0);
  } else {
    expect(Math.abs(record.cost - bill.cost)).toBeLessThan(1e-12);
  }
}

/** Starts a proxy whose every route goes to `upstream` (OpenAI's first: the default route). */
export function proxyTo(upstream: ReplayUpstream, registry: Registry): Promise<RunningProxy> {
  const url = upstream.url;
  const upstreams = Object.fromEntries(
    ['openai', ...Object.values(ROUTES), 'gemini', 'vertex'].map((name) => [name, url] as const),
  );
  return startProxy({ port: 0, logLevel: 'silent', registry, dashboard: false, upstreams });
}

/** Sends a fixture's request through the proxy with `fetch`; the caller gets the recorded status and bytes. */
/**
 * Replays `fixture` through a proxy started for it on a fresh registry (its answer queued on `upstream`);
 * resolves to the registry once the call is recorded, the proxy closed.
 */
export async function replayThroughProxy(upstream: ReplayUpstream, fixture: CorpusFixture): Promise<Registry> {
  upstream.enqueue({ status: fixture.status, contentType: fixture.contentType, body: responseBytes(fixture) });
  const registry = new Registry();
  const proxy = await proxyTo(upstream, registry);
  try {
    await callThroughProxy(proxy, fixture);
    await recorded(registry);
  } finally {
    await proxy.close();
  }
  return registry;
}

/** Sends a fixture's request through the proxy, with every provider's key header, as plain `fetch`. */
export function fetchThroughProxy(proxy: RunningProxy, fixture: CorpusFixture): Promise<Response> {
  return fetch(`${proxy.url}${proxyPath(fixture)}`, {
    method: fixture.endpoint.method,
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-test',
      'x-api-key': 'sk-ant-test',
      'x-goog-api-key': 'not-a-key',
    },
    ...(fixture.endpoint.method === 'POST' ? { body: JSON.stringify(callBody(fixture)) } : {}),
  });
}

export async function callThroughProxy(proxy: RunningProxy, fixture: CorpusFixture): Promise<void> {
  const response = await fetchThroughProxy(proxy, fixture);
  expect(response.status).toBe(fixture.status);
  expect(Buffer.from(await response.arrayBuffer()).equals(bytesForClient(fixture))).toBe(true);
}

/**
 * Whether the proxy asks for usage on the caller's behalf: an OpenAI-format stream (chat or legacy completions)
 * whose request did not ask for `include_usage`. The proxy then hands the caller the stream it asked for.
 */
function proxyAsksForUsage(fixture: CorpusFixture): boolean {
  if (!fixture.stream || !fixture.contentType.startsWith('text/event-stream')) return false;
  if (fixture.api !== 'openai-chat-completions' && fixture.api !== 'openai-completions') return false;
  const options = callBody(fixture).stream_options;
  return !(typeof options === 'object' && options !== null && 'include_usage' in options && options.include_usage);
}

/**
 * The bytes a plain client gets through the proxy: the recorded ones, except where the proxy asked for usage on
 * the caller's behalf. It then cuts the top-level `"usage":null` members out of the chunks (as the caller would
 * have got them without the option), even when the server sends them unasked, as vLLM did when this was recorded.
 */
export function bytesForClient(fixture: CorpusFixture): Buffer {
  const bytes = responseBytes(fixture);
  if (!proxyAsksForUsage(fixture)) return bytes;
  return Buffer.from(bytes.toString('utf8').replaceAll(',"usage":null', ''));
}

/** The id a GET /v1/responses/{id} names. */
const responseId = (fixture: CorpusFixture): string => fixture.endpoint.path.split('/').at(-1) ?? '';

/** The instrumented SDK call for a fixture; resolves once the caller read the whole answer (or its error). */
export async function callThroughSdk(fixture: CorpusFixture, baseUrl: string, registry: Registry): Promise<void> {
  const body = callBody(fixture);
  const read = async (result: unknown) => {
    if (fixture.stream) for await (const _event of result as AsyncIterable<unknown>);
  };
  try {
    if (fixture.provider === 'google') {
      const vertexai = fixture.endpoint.host.includes('aiplatform');
      const client = new GoogleGenAI({
        apiKey: 'not-a-key',
        vertexai,
        httpOptions: { baseUrl, retryOptions: { attempts: 1 } },
      });
      const ai = instrument(client, { registry });
      const model = pathModel(fixture) ?? '';
      if (fixture.api === 'vertex-predict') await ai.models.embedContent({ model, contents: ['Hello'] });
      else if (fixture.stream) await read(await ai.models.generateContentStream({ model, contents: 'Hello' }));
      else await ai.models.generateContent({ model, contents: 'Hello' });
      return;
    }
    if (fixture.provider === 'anthropic') {
      const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: baseUrl, maxRetries: 0 }), {
        registry,
        provider: 'anthropic',
      });
      await read(await anthropic.messages.create(body as never));
      return;
    }
    // OpenAI and the OpenAI-compatible servers (Groq, vLLM, Azure OpenAI, OpenRouter), labelled as the proxy's
    // route is, so that both front ends look their prices up under the same provider.
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${baseUrl}/v1`, maxRetries: 0 }), {
      registry,
      provider: routeName(fixture),
    });
    switch (fixture.api) {
      case 'openai-chat-completions':
        await read(await openai.chat.completions.create(body as never));
        return;
      case 'openai-responses':
        await read(await openai.responses.create(body as never));
        return;
      case 'openai-responses-retrieve': {
        // A poll, or with `stream=true&starting_after=N` a resumed stream.
        const query = new URLSearchParams(fixture.endpoint.query ?? '');
        if (query.get('stream') !== 'true') {
          await openai.responses.retrieve(responseId(fixture));
          return;
        }
        const startingAfter = Number(query.get('starting_after') ?? 0);
        await read(
          await openai.responses.retrieve(responseId(fixture), { stream: true, starting_after: startingAfter }),
        );
        return;
      }
      case 'openai-responses-compact':
        await openai.responses.compact(body as never);
        return;
      case 'openai-embeddings':
        await openai.embeddings.create(body as never);
        return;
      case 'openai-completions':
        await read(await openai.completions.create(body as never));
        return;
    }
  } catch {
    // A failure status or an error event: the SDK throws it to its caller, the wrapper records it.
  }
}
