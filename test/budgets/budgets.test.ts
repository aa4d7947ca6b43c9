import type { Budget } from '@llmeter/core';
import { instrument, withLabels } from '@llmeter/sdk';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyHarness, settled, startHarness } from '../proxy/proxy-harness.js';
import { findSamples } from '../support/prometheus-text.js';

// gpt-4o at 2.5 USD per million input tokens and 10 per million output; each simulated reply reports 200,000
// input and 50,000 output tokens: 0.5 + 0.5 = 1 USD a call.
const usage = { input: 200_000, output: 50_000 };
const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hi' }] };
const budgets: Budget[] = [
  { labels: { team: 'ads' }, usd: 500, period: 'month' },
  { labels: { model: 'gpt-4o' }, usd: 20, period: 'day' },
];

/** `llm_budget_*` as [labels, value] pairs, values rounded to the micro-dollar. */
function budgetSamples(text: string, name: string): [Record<string, string>, number][] {
  return findSamples(text, name).map((s) => [s.labels, Math.round(s.value * 1e6) / 1e6]);
}

function expectBudgets(text: string): void {
  expect(budgetSamples(text, 'llm_budget_usd')).toEqual([
    [{ model: '', team: 'ads', period: 'month' }, 500],
    [{ model: 'gpt-4o', team: '', period: 'day' }, 20],
  ]);
  // Two calls by ads, one by search: 2 USD against ads' month, 3 against gpt-4o's day.
  expect(budgetSamples(text, 'llm_budget_spent_usd')).toEqual([
    [{ model: '', team: 'ads', period: 'month' }, 2],
    [{ model: 'gpt-4o', team: '', period: 'day' }, 3],
  ]);
}

describe('budgets in the proxy', () => {
  let harness: ProxyHarness;
  afterEach(async () => harness.close());

  it('exports each budget and the spend against it from the calls that match its labels', async () => {
    harness = await startHarness({ labelHeaders: ['team'], budgets });
    harness.simulator.enqueue({ usage }, { usage }, { usage });
    for (const team of ['ads', 'ads', 'search']) {
      await harness.openai().chat.completions.create(chat, { headers: { 'x-llmeter-label-team': team } });
    }
    await settled(harness);
    expectBudgets(await harness.metrics());
  });
});

describe('budgets in the SDK', () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => simulator.close());

  it('takes the same budgets as instrument() options', async () => {
    const registry = new Registry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${simulator.url}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
      labelNames: ['team'],
      budgets,
    });
    simulator.enqueue({ usage }, { usage }, { usage });
    for (const team of ['ads', 'ads', 'search']) {
      await withLabels({ team }, () => openai.chat.completions.create(chat));
    }
    expectBudgets(await registry.metrics());
  });
});
