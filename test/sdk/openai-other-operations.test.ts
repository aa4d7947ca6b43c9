import { openAiWireFormat } from '@llmeter/core/wire';
import { instrument, withLabels } from '@llmeter/sdk';
import { describe, expect, it, vi } from 'vitest';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, useSimulator, value } from './harness.js';

const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };

describe.each(OPENAI_SDKS)('$name other operations and options', (sdk: OpenAiSdk) => {
  const env = useSimulator();
  const client = () => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 });

  it('measures a Responses API JSON call, reasoning tokens included', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    env.sim.enqueue({ usage: { input: 50, output: 30, cachedInput: 20, reasoning: 10 } });
    const response = await openai.responses.create({ model: 'gpt-4o', input: 'hi' });
    expect(response.output_text).toBe('Hello from the llmeter simulator!');
    const text = await metricsText(registry);
    const labels = { provider: 'openai', model: 'gpt-4o', operation: 'responses' };
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(50);
    expect(value(text, 'tokens_total', { ...labels, type: 'cached_input' })).toBe(20);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(30);
    expect(value(text, 'tokens_total', { ...labels, type: 'reasoning' })).toBe(10);
    expect(value(text, 'cost_usd_total')).toBeCloseTo(
      usd(30, GPT_4O.input) + usd(20, GPT_4O.cachedInput) + usd(30, GPT_4O.output),
      12,
    );
  });

  it('measures a Responses API stream and the responses.stream() helper, once each', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    env.sim.enqueue({ usage: { input: 12, output: 5 } }, { usage: { input: 8, output: 5 } });
    const events: string[] = [];
    for await (const event of await openai.responses.create({ model: 'gpt-4o', input: 'hi', stream: true })) {
      events.push(event.type);
    }
    expect(events).toContain('response.completed');
    const final = await openai.responses.stream({ model: 'gpt-4o', input: 'hi' }).finalResponse();
    expect(final.status).toBe('completed');
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { operation: 'responses', status: 'ok' })).toBe(2);
    expect(value(text, 'tokens_total', { type: 'input' })).toBe(20);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(10);
    expect(value(text, 'time_to_first_token_seconds_count', { operation: 'responses' })).toBe(2);
    expect(value(text, 'usage_estimated_total')).toBe(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('measures embeddings', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    env.sim.enqueue({ usage: { input: 6, output: 0 } });
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
    const text = await metricsText(registry);
    const labels = { provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings' };
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(6);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(0);
    // text-embedding-3-small: $0.02 per million tokens.
    expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(usd(6, 0.02), 12);
  });

  it('measures legacy completions, JSON and streamed', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    env.sim.enqueue({ usage: { input: 4, output: 5 } }, { usage: { input: 4, output: 5 } });
    await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say' });
    const chunks: unknown[] = [];
    for await (const chunk of await openai.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say',
      stream: true,
    })) {
      chunks.push(chunk);
    }
    expect(chunks.every((chunk) => !('usage' in (chunk as object)))).toBe(true);
    const text = await metricsText(registry);
    const labels = { model: 'gpt-3.5-turbo-instruct', operation: 'text_completion' };
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(2);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(8);
    expect(value(text, 'usage_estimated_total')).toBe(0);
  });

  it('adds withLabels() labels and static labels to calls made inside', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), {
      registry,
      provider: 'openai',
      labels: { app: 'search' },
      labelNames: ['team'],
    });
    const create = () =>
      openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    await withLabels({ team: 'ads' }, async () => {
      await create();
      await withLabels({ team: 'growth', unknown_label: 'dropped' }, create);
    });
    await create();
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { app: 'search', team: 'ads' })).toBe(1);
    expect(value(text, 'requests_total', { app: 'search', team: 'growth' })).toBe(1);
    expect(value(text, 'requests_total', { app: 'search', team: '' })).toBe(1);
    expect(text).not.toContain('unknown_label');
  });

  it('labels an OpenAI-compatible server by its host unless a provider is set', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry });
    await openai.chat.completions.create({ model: 'llama-3', messages: [{ role: 'user', content: 'x' }] });
    const text = await metricsText(registry);
    const host = new URL(env.sim.url).host;
    expect(value(text, 'requests_total', { provider: host, model: 'llama-3' })).toBe(1);
    expect(value(text, 'unpriced_requests_total', { provider: host })).toBe(1);
    expect(value(text, 'cost_usd_total')).toBe(0);
  });

  it('instruments the clone withOptions() returns, on the same metrics', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    const clone = openai.withOptions({ timeout: 5000 });
    expect(clone).not.toBe(openai);
    expect(clone).toBeInstanceOf(sdk.OpenAI);
    await clone.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(value(await metricsText(registry), 'requests_total', { provider: 'openai' })).toBe(1);
  });

  it('returns the same client, and instrumenting twice counts each call once', async () => {
    const registry = newRegistry();
    const original = client();
    const once = instrument(original, { registry, provider: 'openai' });
    const twice = instrument(once, { registry, provider: 'openai' });
    expect(once).toBe(original);
    expect(twice).toBe(original);
    expect(Object.keys(original.chat.completions)).toStrictEqual(Object.keys(client().chat.completions));
    await twice.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(value(await metricsText(registry), 'requests_total')).toBe(1);
  });

  it('reports a parser failure to onError and still hands the caller its result', async () => {
    const registry = newRegistry();
    const onError = vi.fn();
    const openai = instrument(client(), { registry, provider: 'openai', onError });
    const failure = new Error('parser bug');
    const spy = vi.spyOn(openAiWireFormat, 'parseResponse').mockImplementation(() => {
      throw failure;
    });
    try {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(completion.choices[0]?.message.content).toBe('Hello from the llmeter simulator!');
    } finally {
      spy.mockRestore();
    }
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(failure);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });
});
