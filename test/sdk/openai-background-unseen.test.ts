import { responseLedgerFor } from '@llmeter/core';
import { instrument } from '@llmeter/sdk';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, useSimulator, value } from './harness.js';

// gpt-4o, per million tokens: $2.50 input, $1.25 cached input, $10 output.
const usage = { input: 1000, output: 500, cachedInput: 200, reasoning: 50 };
const cost = usd(800, 2.5) + usd(200, 1.25) + usd(500, 10);
const snapshot = { provider: 'openai', model: 'gpt-4o-2024-08-06', operation: 'responses' };

describe.each(OPENAI_SDKS)('$name polls of a background response created out of sight', (sdk: OpenAiSdk) => {
  const env = useSimulator();
  const client = () => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 });

  it('are labelled with the model the response names, counted once; the pending gauge follows', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    env.sim.enqueue({ usage, responseModel: 'gpt-4o-2024-08-06' });
    // Created by another process (an uninstrumented client): this process never sees the create call.
    const created = await client().responses.create({ model: 'gpt-4o', input: 'hi', background: true });
    expect((await openai.responses.retrieve(created.id)).status).toBe('in_progress');
    let text = await metricsText(registry);
    expect(value(text, 'background_responses_pending', { provider: 'openai', model: 'gpt-4o-2024-08-06' })).toBe(1);
    expect(value(text, 'background_responses_pending')).toBe(1);
    expect((await openai.responses.retrieve(created.id)).status).toBe('completed');
    text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...snapshot, status: 'ok' })).toBe(2);
    expect(value(text, 'requests_total', { model: 'unknown' })).toBe(0);
    expect(value(text, 'tokens_total', { ...snapshot, type: 'input' })).toBe(1000);
    expect(value(text, 'tokens_total', { ...snapshot, type: 'output' })).toBe(500);
    expect(value(text, 'cost_usd_total', snapshot)).toBeCloseTo(cost, 12);
    expect(value(text, 'usage_missing_total')).toBe(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
    expect(value(text, 'background_responses_pending')).toBe(0);
    expect(responseLedgerFor(registry).unsettled).toBe(0);
  });
});
