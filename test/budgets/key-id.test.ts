import { createHmac } from 'node:crypto';
import { resolveConfig } from '@llmeter/proxy/config';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProxyHarness, settled, startHarness } from '../proxy/proxy-harness.js';
import { findSamples } from '../support/prometheus-text.js';

const SALT = 'test-salt-0123456789abcdef';
const OPENAI_KEY = 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_KEY = 'sk-proj-bbbbbbbbbbbbbbbbbbbbbbbb';
const ANTHROPIC_KEY = 'sk-ant-api03-cccccccccccccccccccc';
const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hi' }] };
// gpt-4o: 200,000 input tokens and 50,000 output tokens are 1 USD.
const usage = { input: 200_000, output: 50_000 };

/** The id the proxy must give a key, computed here independently. */
const idOf = (key: string) => createHmac('sha256', SALT).update(key).digest('hex').slice(0, 12);

describe('key_id: spend per API key without the key', () => {
  let harness: ProxyHarness;
  afterEach(async () => harness.close());

  it('labels each call with a salted HMAC of its key, never the key, and a budget can be on it', async () => {
    harness = await startHarness({
      keyIdSalt: SALT,
      labelHeaders: ['team'],
      budgets: [{ labels: { key_id: idOf(OPENAI_KEY) }, usd: 10, period: 'day' }],
    });
    harness.simulator.enqueue({ usage }, { usage }, { usage });
    await harness.openai({ apiKey: OPENAI_KEY }).chat.completions.create(chat);
    await harness.openai({ apiKey: OPENAI_KEY }).chat.completions.create(chat);
    await harness.openai({ apiKey: OTHER_KEY }).chat.completions.create(chat);
    // Anthropic's x-api-key.
    const anthropic = await fetch(`${harness.proxy.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(anthropic.status).toBe(200);
    // A client cannot set key_id itself.
    await harness
      .openai({ apiKey: OTHER_KEY })
      .chat.completions.create(chat, { headers: { 'x-llmeter-label-key_id': 'forged' } });
    await settled(harness);

    const text = await harness.metrics();
    const requests = Object.fromEntries(
      findSamples(text, 'llm_requests_total', { status: 'ok' }).map((s) => [s.labels.key_id, s.value]),
    );
    expect(requests).toEqual({ [idOf(OPENAI_KEY)]: 2, [idOf(OTHER_KEY)]: 2, [idOf(ANTHROPIC_KEY)]: 1 });
    for (const key of [OPENAI_KEY, OTHER_KEY, ANTHROPIC_KEY]) expect(text).not.toContain(key);
    expect(text).not.toContain('forged');
    expect(findSamples(text, 'llm_budget_spent_usd').map((s) => [s.labels, Math.round(s.value * 1e6) / 1e6])).toEqual([
      [{ key_id: idOf(OPENAI_KEY), period: 'day' }, 2],
    ]);
  });

  it('is off unless a salt is configured, and a short salt is refused', async () => {
    harness = await startHarness();
    await harness.openai({ apiKey: OPENAI_KEY }).chat.completions.create(chat);
    await settled(harness);
    expect(findSamples(await harness.metrics(), 'llm_requests_total')[0]?.labels).not.toHaveProperty('key_id');
    expect(() => resolveConfig({ keyIdSalt: 'short' })).toThrow(/keyIdSalt must be at least 16 characters/);
  });
});

describe('key_id salt from the environment', () => {
  it('LLMETER_KEY_ID_SALT sets it; a short one is named by its variable', async () => {
    const { proxyCommand, proxySettings } = await import('../../apps/cli/src/proxy-command.js');
    const settingsOf = (env: Record<string, string>) => {
      const parsed = proxyCommand.parse([], env);
      if (parsed.help) throw new Error('asked for help');
      return proxySettings(parsed);
    };
    expect(settingsOf({ LLMETER_KEY_ID_SALT: SALT }).keyIdSalt).toBe(SALT);
    expect(() => settingsOf({ LLMETER_KEY_ID_SALT: 'short' })).toThrow(
      /LLMETER_KEY_ID_SALT must be at least 16 characters/,
    );
  });
});
