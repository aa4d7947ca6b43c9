import Anthropic from '@anthropic-ai/sdk';
import { PriceBook, type Usage } from '@llmeter/core';
import { SseParser, type StreamSummary, type WireFormat, wireFormats } from '@llmeter/core/wire';
import { startProxy } from '@llmeter/proxy';
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { type CorpusFixture, corpusFixtures, requestBody, responseBytes } from './corpus.js';
import { type CorpusUpstream, startCorpusUpstream } from './corpus-upstream.js';
import { type Bill, independentBill, PRICED_AT, type TokensByType } from './independent-bill.js';

// Every recorded response of the corpus that llmeter measures goes through llmeter's wire formats (JSON
// `parseResponse`; SSE through the SseParser and the stream accumulator), and must give the tokens by type and
// the cost worked out independently (independent-bill.ts: genai-prices' own extraction and calcPrice).

/** The APIs llmeter reads, with the wire format that reads them. */
const FORMATS: Readonly<Record<string, WireFormat>> = {
  'openai-chat-completions': wireFormats.openai,
  'openai-completions': wireFormats.openai,
  'openai-embeddings': wireFormats.openai,
  'openai-responses': wireFormats.openai,
  'anthropic-messages': wireFormats.anthropic,
};

/** llmeter's `provider` label for a fixture's upstream: the name for OpenAI and Anthropic, else the host. */
function providerLabel(fixture: CorpusFixture): string {
  if (fixture.provider === 'openai' || fixture.provider === 'anthropic') return fixture.provider;
  return fixture.endpoint.host;
}

/** genai-prices' provider for the same label, as a user of genai-prices would pick it by hand. */
function genaiProvider(fixture: CorpusFixture): string | undefined {
  const byName: Record<string, string | undefined> = {
    openai: 'openai',
    anthropic: 'anthropic',
    groq: 'groq',
    'azure-openai': 'azure',
    vllm: undefined,
  };
  return byName[fixture.provider];
}

/** The fixtures this test measures: a 2xx answer of an operation llmeter measures, in an API it reads. */
function measuredFixtures(): CorpusFixture[] {
  return corpusFixtures().filter(
    (fixture) =>
      fixture.status >= 200 &&
      fixture.status < 300 &&
      fixture.operation !== 'other' &&
      fixture.endpoint.method === 'POST' &&
      FORMATS[fixture.api] !== undefined,
  );
}

/** What llmeter's wire format reads from a fixture's bytes. */
function parse(fixture: CorpusFixture): { usage?: Usage | undefined; responseModel?: string | undefined } {
  const format = FORMATS[fixture.api] as WireFormat;
  const operation = fixture.operation as Parameters<WireFormat['parseResponse']>[0];
  const bytes = responseBytes(fixture);
  if (!fixture.stream) return format.parseResponse(operation, JSON.parse(bytes.toString('utf8')));
  const accumulator = format.createStreamAccumulator(operation);
  const parser = new SseParser((event) => accumulator.pushRaw(event.data, event.event));
  // Two uneven chunks, so that an event split across reads is read the same.
  const cut = Math.floor(bytes.length / 3);
  parser.push(bytes.subarray(0, cut));
  parser.push(bytes.subarray(cut));
  const summary: StreamSummary = accumulator.summary();
  return { usage: summary.usage, responseModel: summary.responseModel };
}

/** Tokens by type as `llm_tokens_total` counts them: the call's own, plus its sub-inferences'. */
function tokensByType(usage: Usage): TokensByType {
  const all = [usage, ...(usage.subCalls ?? []).map((sub) => sub.usage)];
  const sum = (pick: (u: Usage) => number) => all.reduce((total, u) => total + pick(u), 0);
  return {
    input: sum((u) => u.input),
    output: sum((u) => u.output),
    cached_input: sum((u) => u.cachedInput),
    cache_write: sum((u) => u.cacheWrite),
    reasoning: sum((u) => u.reasoning),
  };
}

/** The independent bill of a fixture. */
function expectedBill(fixture: CorpusFixture): Bill | undefined {
  const model = String(requestBody(fixture)?.model ?? '');
  return independentBill(fixture, responseBytes(fixture).toString('utf8'), genaiProvider(fixture), model);
}

const fixtures = measuredFixtures();

describe('the corpus through llmeter’s wire formats', () => {
  it('covers the recorded APIs', () => {
    // Guards against a vacuous pass: most of the corpus is measured here.
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    // ... and that the costs compared are prices, not two unknowns.
    expect(fixtures.filter((fixture) => expectedBill(fixture)?.cost !== undefined).length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(fixtures.map((fixture) => `${fixture.api} ${fixture.stream ? 'stream' : 'json'}`));
    expect([...kinds].sort()).toEqual([
      'anthropic-messages json',
      'anthropic-messages stream',
      'openai-chat-completions json',
      'openai-chat-completions stream',
      'openai-completions json',
      'openai-completions stream',
      'openai-embeddings json',
      'openai-responses json',
      'openai-responses stream',
    ]);
  });

  it.each(fixtures.map((fixture) => [fixture.id, fixture] as const))('%s', (_id, fixture) => {
    const { usage, responseModel } = parse(fixture);
    const expected = expectedBill(fixture);
    if (expected === undefined) {
      // No usage in the bytes (a stream that did not ask for it, a queued background response): none read.
      if (usage !== undefined) expect(tokensByType(usage)).toEqual(tokensByType({ ...usage, input: 0, output: 0 }));
      expect(usage === undefined || usage.input + usage.output === 0).toBe(true);
      return;
    }
    expect(usage, 'usage').toBeDefined();
    if (usage === undefined) return;
    expect(tokensByType(usage)).toEqual(expected.tokens);
    const model = responseModel ?? String(requestBody(fixture)?.model ?? '');
    expect(model).toBe(expected.model);
    const cost = new PriceBook({ now: () => PRICED_AT }).cost(providerLabel(fixture), model, usage);
    if (expected.cost === undefined) {
      expect(cost).toBeUndefined();
    } else {
      expect(cost).toBeDefined();
      expect(Math.abs((cost ?? Number.NaN) - expected.cost)).toBeLessThan(1e-12);
    }
  });
});

// ── Through the front ends ───────────────────────────────────────────────────────────────────────────────────
// The same bytes, served by a local upstream with their recorded status and content type, go through the proxy
// (a plain `fetch` client: it must get the fixture's bytes unchanged) and through the instrumented `openai` and
// `@anthropic-ai/sdk` clients; each records on its own registry, which must hold the independent bill.

/** The body a fixture's request sent (or, when the corpus kept only its top-level fields, a stand-in with them). */
function callBody(fixture: CorpusFixture): Record<string, unknown> {
  const kept = requestBody(fixture);
  if (kept !== undefined) return kept;
  const manifest = corpusFixtures().find((one) => one.id === fixture.id) as CorpusFixture & {
    request?: { topLevelFields?: Record<string, unknown> };
  };
  const fields = manifest.request?.topLevelFields ?? { model: 'gpt-5-nano', stream: fixture.stream };
  const prompt =
    fixture.api === 'openai-responses' ? { input: 'Hello' } : { messages: [{ role: 'user', content: 'Hello' }] };
  return { ...prompt, ...fields };
}

/** The front ends' fixtures: OpenAI's and Anthropic's own (other hosts are priced under their host's name). */
const frontEndFixtures = corpusFixtures().filter(
  (fixture) =>
    (fixture.provider === 'openai' || fixture.provider === 'anthropic') &&
    fixture.endpoint.method === 'POST' &&
    fixture.operation !== 'other' &&
    FORMATS[fixture.api] !== undefined,
);

/** The `error_type` each recorded failure status means, by hand from the contract. */
const ERROR_TYPE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'bad_request',
  429: 'rate_limit',
};

/** What a registry holds about its one call. */
async function recordOf(registry: Registry) {
  const text = await registry.metrics();
  const nonZero = (name: string, label: string) =>
    Object.fromEntries(
      findSamples(text, name)
        .filter((sample) => sample.value !== 0)
        .map((sample) => [sample.labels[label], sample.value]),
    );
  return {
    requests: sampleSum(text, 'llm_requests_total'),
    errorTypes: nonZero('llm_request_failures_total', 'error_type'),
    tokens: nonZero('llm_tokens_total', 'type'),
    cost: sampleSum(text, 'llm_cost_usd_total'),
    unpriced: sampleSum(text, 'llm_unpriced_requests_total'),
    estimated: sampleSum(text, 'llm_usage_estimated_total'),
    inFlight: sampleSum(text, 'llm_requests_in_flight'),
  };
}

/** Waits until a registry recorded its call: a client can see its response end a moment before. */
async function recorded(registry: Registry): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = await registry.metrics();
    if (sampleSum(text, 'llm_requests_total') === 1 && sampleSum(text, 'llm_requests_in_flight') === 0) return;
    if (Date.now() > deadline) throw new Error('the call was not recorded');
    await new Promise((done) => setTimeout(done, 5));
  }
}

/** Checks a front end's record of a fixture against its independent bill (or its recorded failure). */
function expectRecord(fixture: CorpusFixture, record: Awaited<ReturnType<typeof recordOf>>): void {
  expect(record.requests).toBe(1);
  expect(record.inFlight).toBe(0);
  if (fixture.status >= 400) {
    expect(record.errorTypes).toEqual({ [ERROR_TYPE_OF_STATUS[fixture.status] ?? '?']: 1 });
    expect(record.tokens).toEqual({});
    expect(record.cost).toBe(0);
    return;
  }
  const bill = expectedBill(fixture);
  if (bill === undefined) {
    if (fixture.id === 'openai/responses-stream-error-insufficient-quota') {
      // Failed before generating anything, with `"usage": null`: nothing billed, so nothing estimated either.
      expect(record.errorTypes).toEqual({ stream_error: 1 });
      expect(record.tokens).toEqual({});
      expect(record.estimated).toBe(0);
      expect(record.cost).toBe(0);
    }
    return; // Otherwise no usage in the bytes: estimated, deferred or missing, as the call ended.
  }
  const nonZero = Object.fromEntries(Object.entries(bill.tokens).filter(([, value]) => value !== 0));
  expect(record.tokens).toEqual(nonZero);
  if (bill.cost === undefined) {
    expect(record.unpriced).toBe(1);
    expect(record.cost).toBe(0);
  } else {
    expect(Math.abs(record.cost - bill.cost)).toBeLessThan(1e-12);
  }
}

describe('the corpus through the proxy (plain fetch)', () => {
  let upstream: CorpusUpstream;
  beforeAll(async () => {
    upstream = await startCorpusUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('replays every OpenAI and Anthropic fixture, 2xx and errors', () => {
    expect(frontEndFixtures.length).toBeGreaterThanOrEqual(40);
    expect(frontEndFixtures.filter((fixture) => fixture.status >= 400).length).toBeGreaterThanOrEqual(4);
  });

  it.each(frontEndFixtures.map((fixture) => [fixture.id, fixture] as const))('%s', async (_id, fixture) => {
    const bytes = responseBytes(fixture);
    upstream.enqueue({ status: fixture.status, contentType: fixture.contentType, bytes });
    const registry = new Registry();
    const proxy = await startProxy({
      port: 0,
      logLevel: 'silent',
      registry,
      dashboard: false,
      upstreams: { openai: upstream.url, anthropic: upstream.url },
    });
    try {
      const query = fixture.endpoint.query === undefined ? '' : `?${fixture.endpoint.query}`;
      // `/anthropic/…` routes to the upstream named anthropic; other paths to the first (openai).
      const route = fixture.provider === 'anthropic' ? '/anthropic' : '';
      const response = await fetch(`${proxy.url}${route}${fixture.endpoint.path}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-api-key': 'sk-ant-test' },
        body: JSON.stringify(callBody(fixture)),
      });
      expect(response.status).toBe(fixture.status);
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
      await recorded(registry);
    } finally {
      await proxy.close();
    }
    expect(upstream.pending).toBe(0);
    expectRecord(fixture, await recordOf(registry));
  });
});

/** The instrumented SDK call for a fixture; resolves once the caller read the whole answer (or its error). */
async function callThroughSdk(fixture: CorpusFixture, baseUrl: string, registry: Registry): Promise<void> {
  const body = callBody(fixture);
  const read = async (result: unknown) => {
    if (fixture.stream) for await (const _event of result as AsyncIterable<unknown>);
  };
  try {
    if (fixture.provider === 'anthropic') {
      const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: baseUrl, maxRetries: 0 }), {
        registry,
        provider: 'anthropic',
      });
      await read(await anthropic.messages.create(body as never));
      return;
    }
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${baseUrl}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
    });
    switch (fixture.api) {
      case 'openai-chat-completions':
        await read(await openai.chat.completions.create(body as never));
        return;
      case 'openai-responses':
        await read(await openai.responses.create(body as never));
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

describe('the corpus through the instrumented openai and @anthropic-ai/sdk clients', () => {
  let upstream: CorpusUpstream;
  beforeAll(async () => {
    upstream = await startCorpusUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  it.each(frontEndFixtures.map((fixture) => [fixture.id, fixture] as const))('%s', async (_id, fixture) => {
    upstream.enqueue({ status: fixture.status, contentType: fixture.contentType, bytes: responseBytes(fixture) });
    const registry = new Registry();
    await callThroughSdk(fixture, upstream.url, registry);
    await recorded(registry);
    expect(upstream.pending).toBe(0);
    expectRecord(fixture, await recordOf(registry));
  });
});
