import { AggregatorRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BudgetConfigError, BudgetTracker, periodStart } from './budgets.js';
import { createMeter, MeterConfigError } from './meter.js';

const at = (iso: string) => Date.parse(iso);

describe('periodStart', () => {
  it.each([
    ['2026-11-30T05:00:00Z', 'day', '2026-11-30T00:00:00Z'],
    // 2026-11-30 is a Monday: its own week.
    ['2026-11-30T05:00:00Z', 'week', '2026-11-30T00:00:00Z'],
    // A Sunday belongs to the week that started the Monday before (ISO weeks).
    ['2026-11-29T23:59:59Z', 'week', '2026-11-23T00:00:00Z'],
    ['2026-11-30T05:00:00Z', 'month', '2026-11-01T00:00:00Z'],
    ['2024-02-29T12:00:00Z', 'month', '2024-02-01T00:00:00Z'],
    ['2027-01-01T00:00:00Z', 'week', '2026-12-28T00:00:00Z'],
  ] as const)('%s, %s: %s', (now, period, start) => {
    expect(periodStart(at(now), period)).toBe(at(start));
  });
});

describe('BudgetTracker', () => {
  it('adds spend to every budget whose labels a call has, and starts each new period from 0', () => {
    const tracker = new BudgetTracker(
      [
        { labels: { team: 'ads' }, usd: 500, period: 'month' },
        { labels: { team: 'ads', model: 'gpt-4o' }, usd: 50, period: 'day' },
        { labels: {}, usd: 1000, period: 'week' },
      ],
      ['provider', 'model', 'operation', 'team'],
      at('2026-11-30T01:00:00Z'),
    );
    expect(tracker.labelNames).toEqual(['model', 'team', 'period']);
    tracker.spend({ provider: 'openai', model: 'gpt-4o', team: 'ads' }, 2, at('2026-11-30T02:00:00Z'));
    tracker.spend({ provider: 'openai', model: 'gpt-4o-mini', team: 'ads' }, 0.5, at('2026-11-30T03:00:00Z'));
    tracker.spend({ provider: 'openai', model: 'gpt-4o', team: 'search' }, 4, at('2026-11-30T04:00:00Z'));
    expect(tracker.tracked.map((one) => [one.labels, one.spent])).toEqual([
      [{ model: '', team: 'ads', period: 'month' }, 2.5],
      [{ model: 'gpt-4o', team: 'ads', period: 'day' }, 2],
      [{ model: '', team: '', period: 'week' }, 6.5],
    ]);
    // The next day: the daily budget starts again, the others go on.
    tracker.spend({ provider: 'openai', model: 'gpt-4o', team: 'ads' }, 1, at('2026-12-01T00:00:01Z'));
    expect(tracker.tracked.map((one) => one.spent)).toEqual([1, 1, 7.5]);
  });

  it('refuses a budget it could never keep', () => {
    const labels = ['provider', 'model', 'operation', 'team'];
    expect(() => new BudgetTracker([{ labels: {}, usd: 0, period: 'day' }], labels)).toThrow(BudgetConfigError);
    expect(() => new BudgetTracker([{ labels: { feature: 'x' }, usd: 1, period: 'day' }], labels)).toThrow(
      /budgets\[0\] is on label "feature", which calls do not carry/,
    );
    expect(() => new BudgetTracker([{ labels: {}, usd: 1, period: 'year' as unknown as 'day' }], labels)).toThrow(
      /period must be one of day, week, month/,
    );
  });
});

describe('budgets on a meter', () => {
  it('exports each budget and its spend in the current period, with its labels and period', async () => {
    const registry = new Registry();
    const meter = createMeter({
      registry,
      labelNames: ['team'],
      budgets: [
        { labels: { team: 'ads' }, usd: 500, period: 'month' },
        { labels: { model: 'gpt-4o' }, usd: 20, period: 'day' },
      ],
    });
    const usage = { input: 1_000_000, output: 100_000, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
    // gpt-4o: 2.5 USD per million input, 10 per million output: 3.5 USD a call.
    for (const team of ['ads', 'ads', 'search']) {
      meter
        .start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false, labels: { team } })
        .end({ usage });
    }
    const metrics = await registry.getMetricsAsJSON();
    const values = (name: string) => metrics.find((metric) => metric.name === name)?.values;
    expect(values('llm_budget_usd')).toEqual([
      { labels: { model: '', team: 'ads', period: 'month' }, value: 500 },
      { labels: { model: 'gpt-4o', team: '', period: 'day' }, value: 20 },
    ]);
    const spent = values('llm_budget_spent_usd') ?? [];
    expect(spent.map((sample) => sample.labels)).toEqual([
      { model: '', team: 'ads', period: 'month' },
      { model: 'gpt-4o', team: '', period: 'day' },
    ]);
    expect(spent[0]?.value).toBeCloseTo(7, 12);
    expect(spent[1]?.value).toBeCloseTo(10.5, 12);
  });

  it('refuses a budget on a label the meter does not have', () => {
    expect(() =>
      createMeter({ registry: new Registry(), budgets: [{ labels: { team: 'ads' }, usd: 1, period: 'day' }] }),
    ).toThrow(MeterConfigError);
  });
});

describe('budget and rate-limit gauges summed over processes (the proxy workers)', () => {
  it('add up the spend, keep one budget, the least headroom and the latest reset', async () => {
    const registries = [new Registry(), new Registry()];
    const usage = { input: 1_000_000, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
    registries.forEach((registry, index) => {
      const meter = createMeter({
        registry,
        labelNames: ['team'],
        budgets: [{ labels: { team: 'ads' }, usd: 10, period: 'day' }],
      });
      meter
        .start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false, labels: { team: 'ads' } })
        .end({ usage });
      const headers: Record<string, string> = {
        'x-ratelimit-limit-tokens': '100',
        'x-ratelimit-remaining-tokens': String(50 + index * 10),
        'x-ratelimit-reset-tokens': `${index + 1}s`,
      };
      meter.observeRateLimits('openai', 'gpt-4o', (name) => headers[name]);
    });
    const summed = AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON())));
    const value = async (name: string) => (await summed.getSingleMetric(name)?.get())?.values[0]?.value;
    expect(await value('llm_budget_usd')).toBe(10);
    // gpt-4o: 2.5 USD per million input tokens, once per process.
    expect(await value('llm_budget_spent_usd')).toBeCloseTo(5, 12);
    expect(await value('llm_ratelimit_limit')).toBe(100);
    expect(await value('llm_ratelimit_remaining')).toBe(50);
    expect(await value('llm_ratelimit_reset_seconds')).toBe(2);
  });
});
