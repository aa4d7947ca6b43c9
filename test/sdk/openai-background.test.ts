import { responseLedgerFor } from '@llmeter/core';
import { instrument } from '@llmeter/sdk';
import { describe, expect, it } from 'vitest';
import { readUntilFirstTextDelta } from '../support/responses-stream.js';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, useSimulator, value } from './harness.js';

// gpt-4o, per million tokens: $2.50 input, $1.25 cached input, $10 output.
const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const usage = { input: 1000, output: 500, cachedInput: 200, reasoning: 50 };
const cost = usd(800, GPT_4O.input) + usd(200, GPT_4O.cachedInput) + usd(500, GPT_4O.output);
const labels = { provider: 'openai', model: 'gpt-4o', operation: 'responses' };

/** The usage of the one background response, counted once, exactly, and nothing estimated or missing. */
function expectCountedOnce(text: string): void {
  expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(1000);
  expect(value(text, 'tokens_total', { ...labels, type: 'cached_input' })).toBe(200);
  expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(500);
  expect(value(text, 'tokens_total', { ...labels, type: 'reasoning' })).toBe(50);
  expect(value(text, 'tokens_total', { type: 'input' })).toBe(1000);
  expect(value(text, 'cost_usd_total')).toBeCloseTo(cost, 12);
  expect(value(text, 'usage_estimated_total')).toBe(0);
  expect(value(text, 'usage_missing_total')).toBe(0);
  expect(value(text, 'requests_in_flight')).toBe(0);
}

describe.each(OPENAI_SDKS)('$name background Responses', (sdk: OpenAiSdk) => {
  const env = useSimulator();
  const client = () => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 });
  const meteredClient = () => {
    const registry = newRegistry();
    return { registry, openai: instrument(client(), { registry, provider: 'openai' }) };
  };

  /** Creates a background stream and reads it up to its first text delta; returns the id and last sequence number. */
  async function readUntilFirstDelta(openai: ReturnType<typeof meteredClient>['openai']) {
    env.sim.enqueue({ usage, chunks: ['Hel', 'lo', '!'], chunkDelayMs: 40 });
    const stream = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true, stream: true });
    return readUntilFirstTextDelta(stream);
  }

  it('create background, poll 3 times until completed: usage counted once, exact tokens and cost', async () => {
    const { registry, openai } = meteredClient();
    env.sim.enqueue({ usage });
    const created = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
    expect(created.status).toBe('queued');
    expect(created.usage).toBeNull();
    const statuses: string[] = [];
    for (let poll = 0; poll < 3; poll++) statuses.push(String((await openai.responses.retrieve(created.id)).status));
    expect(statuses).toEqual(['in_progress', 'completed', 'completed']);
    const text = await metricsText(registry);
    // Every call is counted, on the create call's model: the create and three polls.
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(4);
    expectCountedOnce(text);
    expect(responseLedgerFor(registry).unsettled).toBe(0);
  });

  it('resume a background stream with starting_after twice: counted once', async () => {
    const { registry, openai } = meteredClient();
    const { id, cursor } = await readUntilFirstDelta(openai);
    expect(id).toMatch(/^resp_/);
    const resumedTypes: string[][] = [];
    for (const after of [cursor, cursor + 2]) {
      const types: string[] = [];
      for await (const event of await openai.responses.retrieve(id, { stream: true, starting_after: after })) {
        types.push(event.type);
      }
      resumedTypes.push(types);
    }
    expect(resumedTypes[0]?.[0]).toBe('response.output_text.delta');
    expect(resumedTypes.map((types) => types.at(-1))).toEqual(['response.completed', 'response.completed']);
    const text = await metricsText(registry);
    // The create stream the client stopped reading is an aborted call, without an estimate.
    expect(value(text, 'requests_total', { ...labels, status: 'error' })).toBe(1);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(2);
    expectCountedOnce(text);
  });

  it('a client that stops reading a background stream, then polls: counted once, not estimated', async () => {
    const { registry, openai } = meteredClient();
    const { id } = await readUntilFirstDelta(openai);
    const stopped = await metricsText(registry);
    expect(value(stopped, 'tokens_total')).toBe(0);
    expect(value(stopped, 'usage_estimated_total')).toBe(0);
    expect(responseLedgerFor(registry).unsettled).toBe(1);
    let status = '';
    for (let poll = 0; poll < 3 && status !== 'completed'; poll++) {
      status = String((await openai.responses.retrieve(id)).status);
    }
    expect(status).toBe('completed');
    expect((await openai.responses.retrieve(id)).status).toBe('completed');
    expectCountedOnce(await metricsText(registry));
    expect(responseLedgerFor(registry).unsettled).toBe(0);
  });

  it('the responses.stream({ response_id }) helper resumes through responses.retrieve: counted once', async () => {
    const { registry, openai } = meteredClient();
    const { id } = await readUntilFirstDelta(openai);
    const final = await openai.responses.stream({ response_id: id }).finalResponse();
    expect(final.status).toBe('completed');
    expect((await openai.responses.retrieve(id)).status).toBe('completed');
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(2);
    expectCountedOnce(text);
  });

  it('cancel a background response: its usage counted once, by the cancel', async () => {
    const { registry, openai } = meteredClient();
    env.sim.enqueue({ usage });
    const created = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
    expect((await openai.responses.cancel(created.id)).status).toBe('cancelled');
    expect((await openai.responses.retrieve(created.id)).status).toBe('cancelled');
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(3);
    expectCountedOnce(text);
  });
});
