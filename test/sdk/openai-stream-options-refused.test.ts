import { instrument } from '@llmeter/sdk';
import { type ScriptedReply, type Simulator, startSimulator } from '@llmeter/simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, series, usd, value } from './harness.js';

// A server that does not know `stream_options` (Azure OpenAI before 2024-09-01-preview, some OpenAI-compatible
// servers): the SDK sends the caller's request again, once, as the caller wrote it, and counts its tokens locally.
const GPT_4O = { input: 2.5, output: 10 };
const messages = [{ role: 'user' as const, content: 'Say hello' }];
const labels = { provider: 'strict', model: 'gpt-4o', operation: 'chat' };
const reply: ScriptedReply = { chunks: ['Hello', ' there', '!'], usage: { input: 30, output: 3 } };
// What tiktoken (o200k_base) counts for `messages` and 'Hello there!' — the same estimate a stream that never
// asked for usage gets (checked against one below).
const ESTIMATED = { input: 2, output: 3 };

describe.each(OPENAI_SDKS)('$name against a server that refuses stream_options', (sdk: OpenAiSdk) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, refuseStreamOptions: true });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await sim.close();
  });
  const measured = () => {
    const registry = newRegistry();
    const client = new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    return { registry, openai: instrument(client, { registry, provider: 'strict' }) };
  };
  const sent = (index: number): unknown => sim.requests[index]?.body;

  it('sends the request again once, as the caller wrote it: the caller gets the stream, one call is recorded', async () => {
    const { registry, openai } = measured();
    sim.enqueue(reply, reply);
    const params = { model: 'gpt-4o', messages, stream: true as const };
    const chunks = [];
    for await (const chunk of await openai.chat.completions.create(params)) chunks.push(chunk);

    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe('Hello there!');
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
    expect(sim.requests).toHaveLength(2);
    expect(sent(0)).toEqual({ ...params, stream_options: { include_usage: true } });
    expect(sent(1)).toEqual(params);

    const text = await metricsText(registry);
    expect(series(text, 'requests_total')).toEqual([{ ...labels, status: 'ok' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total')).toBe(0);
    expect(value(text, 'usage_estimated_total', labels)).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(ESTIMATED.input);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(ESTIMATED.output);
    expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(
      usd(ESTIMATED.input, GPT_4O.input) + usd(ESTIMATED.output, GPT_4O.output),
      12,
    );
    expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(1);
    expect(value(text, 'request_duration_seconds_count', labels)).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('counts the same tokens as a stream that never asked for usage', async () => {
    const registry = newRegistry();
    const plain = new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const openai = instrument(plain, { registry, provider: 'strict', injectStreamUsage: false });
    sim.enqueue(reply);
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
      // read to the end
    }
    expect(sim.requests).toHaveLength(1);
    const text = await metricsText(registry);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(ESTIMATED.input);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(ESTIMATED.output);
  });

  it('does not ask that client again, and withResponse() gets the answer that was read', async () => {
    const { registry, openai } = measured();
    sim.enqueue(reply, reply, reply);
    const params = { model: 'gpt-4o', messages, stream: true as const };
    const first = await openai.chat.completions.create(params).withResponse();
    expect(first.response.status).toBe(200);
    for await (const _ of first.data) {
      // read to the end
    }
    for await (const _ of await openai.chat.completions.create(params)) {
      // read to the end
    }
    expect(sim.requests).toHaveLength(3);
    expect(sent(2)).toEqual(params);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(2);
    expect(value(text, 'usage_estimated_total', labels)).toBe(2);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(2 * ESTIMATED.output);
  });

  it('a stream the caller abandons after the resend is recorded once, as aborted', async () => {
    const { registry, openai } = measured();
    sim.enqueue(reply, reply);
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta).toBeDefined();
      break;
    }
    expect(sim.requests).toHaveLength(2);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { ...labels, error_type: 'aborted' })).toBe(1);
    expect(value(text, 'request_failures_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it("a caller's own stream_options is refused to the caller, not sent again", async () => {
    const { registry, openai } = measured();
    sim.enqueue(reply, reply);
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.OpenAI.BadRequestError);
    expect((error as Error).message).toBe('400 Unrecognized request argument supplied: stream_options');
    expect(sim.requests).toHaveLength(1);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { ...labels, error_type: 'bad_request' })).toBe(1);
  });

  it('any other 400 reaches the caller as it came, and the next call is still asked for usage', async () => {
    const { registry, openai } = measured();
    sim.enqueue({ status: 400 }, reply, reply);
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o', messages, stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.OpenAI.BadRequestError);
    expect(sim.requests).toHaveLength(1);
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
      // read to the end
    }
    expect(sim.requests).toHaveLength(3);
    expect(sent(1)).toHaveProperty('stream_options', { include_usage: true });
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(2);
    expect(value(text, 'request_failures_total', { ...labels, error_type: 'bad_request' })).toBe(1);
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
  });
});
