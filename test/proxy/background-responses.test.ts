import { responseLedgerFor } from '@llmeter/core';
import type OpenAI from 'openai';
import { beforeEach, describe, expect, test } from 'vitest';
import { OPENAI_SDKS, type OpenAiSdk } from '../sdk/harness.js';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { readUntilFirstTextDelta } from '../support/responses-stream.js';
import { settled, useHarness } from './proxy-harness.js';

// gpt-4o, per million tokens: $2.50 input, $1.25 cached input, $10 output.
const GPT_4O = { input: 2.5, cached: 1.25, output: 10 };
const usage = { input: 1000, output: 500, cachedInput: 200, reasoning: 50 };
const cost = (800 * GPT_4O.input + 200 * GPT_4O.cached + 500 * GPT_4O.output) / 1e6;
const labels = { provider: 'openai', model: 'gpt-4o', operation: 'responses' };

const h = useHarness();
beforeEach(() => h.simulator.reset());

/** What the proxy's metrics moved by during `run`, once every call it took is recorded. */
async function measure(run: () => Promise<void>): Promise<(name: string, extra?: Record<string, string>) => number> {
  const before = await h.metrics();
  await run();
  await settled(h);
  const after = await h.metrics();
  return (name, extra = {}) => sampleSum(after, name, extra) - sampleSum(before, name, extra);
}

/** The background response's usage, counted once, exactly; nothing estimated or missing. */
function expectCountedOnce(delta: (name: string, extra?: Record<string, string>) => number): void {
  expect(delta('llm_tokens_total', { ...labels, type: 'input' })).toBe(1000);
  expect(delta('llm_tokens_total', { ...labels, type: 'cached_input' })).toBe(200);
  expect(delta('llm_tokens_total', { ...labels, type: 'output' })).toBe(500);
  expect(delta('llm_tokens_total', { ...labels, type: 'reasoning' })).toBe(50);
  expect(delta('llm_tokens_total', { type: 'input' })).toBe(1000);
  expect(delta('llm_cost_usd_total')).toBeCloseTo(cost, 12);
  expect(delta('llm_usage_estimated_total')).toBe(0);
  expect(delta('llm_usage_missing_total')).toBe(0);
}

describe.each(OPENAI_SDKS)('$name background Responses through the proxy', (sdk: OpenAiSdk) => {
  const client = (): OpenAI => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${h.proxy.url}/v1`, maxRetries: 0 });

  test('create background, poll 3 times until completed: usage counted once, exact tokens and cost', async () => {
    const statuses: string[] = [];
    const delta = await measure(async () => {
      h.simulator.enqueue({ usage });
      const openai = client();
      const created = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
      statuses.push(String(created.status));
      for (let poll = 0; poll < 3; poll++) statuses.push(String((await openai.responses.retrieve(created.id)).status));
    });
    expect(statuses).toEqual(['queued', 'in_progress', 'completed', 'completed']);
    // The polls are read and measured as `responses` calls, on the create call's model.
    expect(delta('llm_requests_total', { ...labels, status: 'ok' })).toBe(4);
    expect(delta('llm_requests_total', { operation: 'other' })).toBe(0);
    expectCountedOnce(delta);
  });

  test('resume a background stream with starting_after twice: counted once', async () => {
    const resumed: string[][] = [];
    const delta = await measure(async () => {
      h.simulator.enqueue({ usage, chunks: ['Hel', 'lo', '!'], chunkDelayMs: 40 });
      const openai = client();
      const stream = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true, stream: true });
      const { id, cursor } = await readUntilFirstTextDelta(stream);
      for (const after of [cursor, cursor + 2]) {
        const types: string[] = [];
        for await (const event of await openai.responses.retrieve(id, { stream: true, starting_after: after })) {
          types.push(event.type);
        }
        resumed.push(types);
      }
    });
    expect(resumed.map((types) => types.at(-1))).toEqual(['response.completed', 'response.completed']);
    // The stopped create stream is an aborted call (not estimated); both resumes are streamed `responses` calls.
    expect(delta('llm_requests_total', { ...labels, status: 'error' })).toBe(1);
    expect(delta('llm_requests_total', { ...labels, status: 'ok' })).toBe(2);
    // Time to first token: the create stream and the first resume carried text; the second resumed after it.
    expect(delta('llm_time_to_first_token_seconds_count', labels)).toBe(2);
    expectCountedOnce(delta);
  });

  test('a client that stops reading a background stream, then polls: counted once, not estimated', async () => {
    const ledger = responseLedgerFor(h.registry);
    let status = '';
    let unsettledAfterStop = -1;
    const delta = await measure(async () => {
      h.simulator.enqueue({ usage, chunks: ['Hel', 'lo', '!'], chunkDelayMs: 40 });
      const openai = client();
      const stream = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true, stream: true });
      let id = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') break;
      }
      await settled(h);
      unsettledAfterStop = ledger.unsettled;
      for (let poll = 0; poll < 3 && status !== 'completed'; poll++) {
        status = String((await openai.responses.retrieve(id)).status);
      }
      await openai.responses.retrieve(id);
    });
    expect(unsettledAfterStop).toBe(1);
    expect(status).toBe('completed');
    expect(ledger.unsettled).toBe(0);
    expectCountedOnce(delta);
  });

  test('cancel a background response: POST /v1/responses/{id}/cancel is measured, usage counted once', async () => {
    const delta = await measure(async () => {
      h.simulator.enqueue({ usage });
      const openai = client();
      const created = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
      expect((await openai.responses.cancel(created.id)).status).toBe('cancelled');
      expect((await openai.responses.retrieve(created.id)).status).toBe('cancelled');
    });
    expect(delta('llm_requests_total', { ...labels, status: 'ok' })).toBe(3);
    expectCountedOnce(delta);
  });
});

test('deleting a response is not a model call: operation other, no usage missing', async () => {
  const delta = await measure(async () => {
    const response = await fetch(`${h.proxy.url}/v1/responses/resp_unknown`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer sk-test' },
    });
    await response.arrayBuffer();
  });
  expect(delta('llm_requests_total', { operation: 'other' })).toBe(1);
  expect(delta('llm_requests_total', { operation: 'responses' })).toBe(0);
  expect(delta('llm_usage_missing_total')).toBe(0);
});

// A poll of a background response created out of sight (straight at the upstream): gpt-4o's dated snapshot.
const snapshot = { provider: 'openai', model: 'gpt-4o-2024-08-06', operation: 'responses' };

async function json(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
  });
  return (await response.json()) as Record<string, unknown>;
}

test('polls of a background response created out of sight take the model the response names; pending gauge follows', async () => {
  h.simulator.enqueue({ usage, responseModel: 'gpt-4o-2024-08-06' });
  // Created straight at the upstream: the proxy never sees the create call.
  const created = await json(`${h.simulator.url}/v1/responses`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o', input: 'hi', background: true }),
  });
  const before = await h.metrics();
  const delta = (text: string, name: string, labels: Record<string, string> = {}) =>
    sampleSum(text, name, labels) - sampleSum(before, name, labels);
  expect((await json(`${h.proxy.url}/v1/responses/${String(created.id)}`)).status).toBe('in_progress');
  await settled(h);
  let text = await h.metrics();
  // Labelled like every per-call series: the provider (the route's upstream) and the model the response names.
  expect(
    findSamples(text, 'llm_background_responses_pending')
      .filter((sample) => sample.value > 0)
      .map((sample) => [sample.labels, sample.value]),
  ).toEqual([[{ provider: 'openai', model: 'gpt-4o-2024-08-06' }, 1]]);
  expect((await json(`${h.proxy.url}/v1/responses/${String(created.id)}`)).status).toBe('completed');
  await settled(h);
  text = await h.metrics();
  expect(delta(text, 'llm_requests_total', { ...snapshot, status: 'ok' })).toBe(2);
  expect(delta(text, 'llm_requests_total', { model: 'unknown' })).toBe(0);
  expect(delta(text, 'llm_tokens_total', { ...snapshot, type: 'input' })).toBe(1000);
  expect(delta(text, 'llm_tokens_total', { ...snapshot, type: 'output' })).toBe(500);
  expect(delta(text, 'llm_cost_usd_total', snapshot)).toBeCloseTo(cost, 12);
  expect(delta(text, 'llm_usage_missing_total')).toBe(0);
  expect(sampleSum(text, 'llm_background_responses_pending')).toBe(0);
});
