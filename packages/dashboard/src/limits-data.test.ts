import { createMeter } from '@llmeter/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readLimits } from './limits-data.js';

describe('readLimits', () => {
  it('reads the headroom of each rate limit (lowest first, filtered) and each budget with its spend', async () => {
    const registry = new Registry();
    const meter = createMeter({
      registry,
      labelNames: ['team'],
      budgets: [
        { labels: { team: 'ads' }, usd: 10, period: 'day' },
        { labels: {}, usd: 1000, period: 'month' },
      ],
    });
    const headers: Record<string, string> = {
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '450',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '3000',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    meter.observeRateLimits('openai', 'gpt-4o', (name) => headers[name]);
    meter.observeRateLimits('anthropic', 'claude-sonnet-4-5', (name) =>
      name === 'anthropic-ratelimit-requests-limit' ? '50' : undefined,
    );
    // gpt-4o: 2.5 USD per million input tokens: 5 USD.
    meter
      .start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false, labels: { team: 'ads' } })
      .end({ usage: { input: 2_000_000, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 } });

    const { headroom, budgets } = await readLimits(registry, { provider: 'openai' });
    expect(headroom).toEqual([
      {
        provider: 'openai',
        model: 'gpt-4o',
        resource: 'tokens',
        limit: 30000,
        remaining: 3000,
        share: 0.1,
        resetSeconds: 360,
      },
      {
        provider: 'openai',
        model: 'gpt-4o',
        resource: 'requests',
        limit: 500,
        remaining: 450,
        share: 0.9,
        resetSeconds: 0.012,
      },
    ]);
    expect(budgets.map((one) => ({ ...one, spentUsd: Math.round(one.spentUsd * 1e9) / 1e9 }))).toEqual([
      { labels: { team: 'ads' }, period: 'day', usd: 10, spentUsd: 5 },
      { labels: {}, period: 'month', usd: 1000, spentUsd: 5 },
    ]);
    expect((await readLimits(registry)).headroom.map((one) => one.provider)).toEqual(['openai', 'openai', 'anthropic']);
  });

  it('is empty on a registry without those metrics', async () => {
    expect(await readLimits(new Registry())).toEqual({ headroom: [], budgets: [] });
  });
});
