import Anthropic from '@anthropic-ai/sdk';
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, useSimulator, value } from './harness.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

// As api.openai.com sends them, among headers the reader must skip.
const OPENAI_HEADERS = {
  'openai-processing-ms': '386',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-limit-tokens': '30000000',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-remaining-tokens': '29999985',
  'x-ratelimit-reset-requests': '6ms',
  'x-ratelimit-reset-tokens': '1m30s',
  'x-request-id': 'req_0123456789abcdef',
};

describe('rate-limit headers read through the SDK', () => {
  const env = useSimulator();

  it("sets OpenAI's gauges from a reply, keeps what does not parse as it was, and takes an error's", async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
    });
    const requests = { provider: 'openai', model: 'gpt-4o', resource: 'requests' };
    const tokens = { ...requests, resource: 'tokens' };

    env.sim.enqueue({ headers: OPENAI_HEADERS });
    await openai.chat.completions.create({ model: 'gpt-4o', messages });
    let text = await metricsText(registry);
    expect(value(text, 'ratelimit_limit', requests)).toBe(10000);
    expect(value(text, 'ratelimit_remaining', requests)).toBe(9999);
    expect(value(text, 'ratelimit_reset_seconds', requests)).toBe(0.006);
    expect(value(text, 'ratelimit_limit', tokens)).toBe(30000000);
    expect(value(text, 'ratelimit_remaining', tokens)).toBe(29999985);
    expect(value(text, 'ratelimit_reset_seconds', tokens)).toBe(90);

    // The simulator sends rate-limit headers of its own but for the ones given: a reset that does not parse
    // leaves the last one reported.
    env.sim.enqueue({ headers: { 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': 'soon' } });
    await openai.chat.completions.create({ model: 'gpt-4o', messages });
    text = await metricsText(registry);
    expect(value(text, 'ratelimit_reset_seconds', requests)).toBe(2);
    expect(value(text, 'ratelimit_reset_seconds', tokens)).toBe(90);

    // A refused call's headers count too.
    env.sim.enqueue({
      status: 429,
      headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-tokens': '5s', 'retry-after': '1' },
    });
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toThrow();
    text = await metricsText(registry);
    expect(value(text, 'ratelimit_remaining', requests)).toBe(0);
    expect(value(text, 'ratelimit_limit', requests)).toBe(10000);
    expect(value(text, 'ratelimit_reset_seconds', tokens)).toBe(5);
  });

  it("sets Anthropic's gauges for its four resources, resets counted from the reply's arrival", async () => {
    const registry = newRegistry();
    const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: env.sim.url, maxRetries: 0 }), {
      registry,
    });
    const resetAt = new Date(Date.now() + 60_000).toISOString();
    const headers: Record<string, string> = {};
    for (const [index, resource] of ['requests', 'tokens', 'input-tokens', 'output-tokens'].entries()) {
      headers[`anthropic-ratelimit-${resource}-limit`] = String(1000 * (index + 1));
      headers[`anthropic-ratelimit-${resource}-remaining`] = String(900 * (index + 1));
      headers[`anthropic-ratelimit-${resource}-reset`] = resetAt;
    }
    env.sim.enqueue({ headers });
    await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages });
    const text = await metricsText(registry);
    const labels = { provider: 'anthropic', model: 'claude-sonnet-4-6' };
    for (const [index, resource] of ['requests', 'tokens', 'input_tokens', 'output_tokens'].entries()) {
      expect(value(text, 'ratelimit_limit', { ...labels, resource })).toBe(1000 * (index + 1));
      expect(value(text, 'ratelimit_remaining', { ...labels, resource })).toBe(900 * (index + 1));
      const reset = value(text, 'ratelimit_reset_seconds', { ...labels, resource });
      expect(reset).toBeGreaterThan(55);
      expect(reset).toBeLessThanOrEqual(60);
    }
  });
});
