import { instrument } from '@llmeter/sdk';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, useSimulator, value } from './harness.js';

// gpt-4o, USD per million tokens, from OpenAI's published prices.
const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe.each(OPENAI_SDKS)('$name chat completions', (sdk: OpenAiSdk) => {
  const env = useSimulator();
  const client = (maxRetries = 0) => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries });
  const measured = (registry = newRegistry(), maxRetries = 0) => ({
    registry,
    openai: instrument(client(maxRetries), { registry, provider: 'openai' }),
  });
  const chatLabels = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };

  it('measures a JSON completion: tokens by type, cost, duration, in flight back to 0', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ text: 'Hi!', usage: { input: 100, output: 20, cachedInput: 40 } });
    const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(completion.choices[0]?.message.content).toBe('Hi!');

    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...chatLabels, status: 'ok' })).toBe(1);
    expect(value(text, 'requests_total', { status: 'error' })).toBe(0);
    expect(value(text, 'tokens_total', { ...chatLabels, type: 'input' })).toBe(100);
    expect(value(text, 'tokens_total', { ...chatLabels, type: 'output' })).toBe(20);
    expect(value(text, 'tokens_total', { ...chatLabels, type: 'cached_input' })).toBe(40);
    expect(value(text, 'tokens_total', { type: 'reasoning' })).toBe(0);
    expect(value(text, 'cost_usd_total', chatLabels)).toBeCloseTo(
      usd(60, GPT_4O.input) + usd(40, GPT_4O.cachedInput) + usd(20, GPT_4O.output),
      12,
    );
    expect(value(text, 'request_duration_seconds_count', { ...chatLabels, status: 'ok' })).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(0);
    expect(value(text, 'usage_estimated_total')).toBe(0);
    expect(value(text, 'requests_in_flight', chatLabels)).toBe(0);
  });

  it('counts the call as in flight until its response is parsed', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ headersDelayMs: 50 });
    const pending = openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(value(await metricsText(registry), 'requests_in_flight', chatLabels)).toBe(1);
    await pending;
    expect(value(await metricsText(registry), 'requests_in_flight', chatLabels)).toBe(0);
  });

  it('keeps withResponse(): data, raw response and request id', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ usage: { input: 7, output: 3 } });
    const { data, response, request_id } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(response.status).toBe(200);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(7);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
  });

  it('keeps asResponse(): the caller reads the raw body, usage is read from a clone', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ usage: { input: 11, output: 4 } });
    const response = await openai.chat.completions.create({ model: 'gpt-4o', messages }).asResponse();
    const body = (await response.json()) as { usage: { prompt_tokens: number } };
    expect(body.usage.prompt_tokens).toBe(11);
    // The clone is read beside the caller's body; give it the turn it needs.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(11);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(4);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('counts a 429 the SDK retried (retry-after) as one call', async () => {
    const { registry, openai } = measured(newRegistry(), 2);
    env.sim.enqueue(
      { status: 429, headers: { 'retry-after-ms': '5', 'retry-after': '0' } },
      { usage: { input: 5, output: 2 } },
    );
    await openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(env.sim.requests).toHaveLength(2);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'request_failures_total')).toBe(0);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(5);
  });

  it('counts a 429 that outlasts the retries once, as rate_limit', async () => {
    const { registry, openai } = measured(newRegistry(), 1);
    const limited = { status: 429, headers: { 'retry-after-ms': '5' } };
    env.sim.enqueue(limited, limited);
    const error = await openai.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.OpenAI.RateLimitError);
    expect(env.sim.requests).toHaveLength(2);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...chatLabels, status: 'error' })).toBe(1);
    expect(value(text, 'request_failures_total', { ...chatLabels, error_type: 'rate_limit' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it.each([
    [401, 'auth', 'AuthenticationError'],
    [500, 'server_error', 'InternalServerError'],
    [400, 'bad_request', 'BadRequestError'],
  ] as const)(
    'hands the SDK error of a %i to the caller unchanged and counts %s',
    async (status, errorType, errorClass) => {
      const { registry, openai } = measured();
      env.sim.enqueue({ status });
      const error = await openai.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
      env.sim.enqueue({ status });
      const plain = await client()
        .chat.completions.create({ model: 'gpt-4o', messages })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(sdk.OpenAI[errorClass]);
      expect(Object.getPrototypeOf(error)).toBe(Object.getPrototypeOf(plain));
      expect((error as { status: number }).status).toBe(status);
      expect((error as Error).message).toBe((plain as Error).message);
      const text = await metricsText(registry);
      expect(value(text, 'requests_total', { status: 'error' })).toBe(1);
      expect(value(text, 'request_failures_total', { error_type: errorType })).toBe(1);
      expect(value(text, 'request_failures_total')).toBe(1);
      expect(value(text, 'request_duration_seconds_count', { status: 'error' })).toBe(1);
      expect(value(text, 'requests_in_flight')).toBe(0);
    },
  );

  it('counts a call the caller aborts before its response as aborted', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ headersDelayMs: 200 });
    const controller = new AbortController();
    const pending = openai.chat.completions.create({ model: 'gpt-4o', messages }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toBeInstanceOf(sdk.OpenAI.APIUserAbortError);
    const text = await metricsText(registry);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('measures parse() once (it calls create())', async () => {
    const { registry, openai } = measured();
    env.sim.enqueue({ text: '{"a":1}', usage: { input: 9, output: 6 } });
    const parsed = await openai.chat.completions.parse({ model: 'gpt-4o', messages });
    expect(parsed.choices[0]?.message.content).toBe('{"a":1}');
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(9);
  });

  it('leaves other methods alone: models.list() is not measured', async () => {
    const { registry, openai } = measured();
    const page = await openai.models.list();
    expect(page.data.length).toBeGreaterThan(0);
    expect(value(await metricsText(registry), 'requests_total')).toBe(0);
  });
});
