import { DEFAULT_PREFIX, type LabelFilter, metricName } from '@llmeter/core';
import type { Registry } from 'prom-client';

/** One provider rate limit, as the latest response reported it. */
export interface HeadroomRow {
  provider: string;
  model: string;
  /** `requests`, `tokens`, `input_tokens` or `output_tokens`. */
  resource: string;
  limit: number | undefined;
  remaining: number | undefined;
  /** `remaining / limit`; undefined without both (or with a limit of 0). */
  share: number | undefined;
  resetSeconds: number | undefined;
}

/** One budget and its spend in the current period. */
export interface BudgetRow {
  /** The labels the budget is on (those it sets). */
  labels: Record<string, string>;
  period: string;
  usd: number;
  spentUsd: number;
}

/** The rate-limit headroom and the budgets of a registry, now. */
export interface LimitsData {
  /** Lowest share left first. */
  headroom: HeadroomRow[];
  /** Largest share spent first. */
  budgets: BudgetRow[];
}

type Values = { labels: Record<string, string | number>; value: number }[];

async function valuesOf(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values as Values;
}

const text = (labels: Record<string, string | number>, name: string): string => String(labels[name] ?? '');

/**
 * Reads the `*_ratelimit_*` and `*_budget_*` gauges of a registry: headroom of the rate limits of the providers
 * and models `filter` keeps (user labels do not apply: these gauges have none), and every budget.
 *
 * @example
 * ```ts
 * const { headroom, budgets } = await readLimits(registry, { provider: 'openai' });
 * ```
 */
export async function readLimits(
  registry: Registry,
  filter: LabelFilter = {},
  prefix: string = DEFAULT_PREFIX,
): Promise<LimitsData> {
  const [limits, remaining, resets, budgetUsd, budgetSpent] = await Promise.all([
    valuesOf(registry, metricName('rateLimitLimit', prefix)),
    valuesOf(registry, metricName('rateLimitRemaining', prefix)),
    valuesOf(registry, metricName('rateLimitReset', prefix)),
    valuesOf(registry, metricName('budget', prefix)),
    valuesOf(registry, metricName('budgetSpent', prefix)),
  ]);
  const rows = new Map<string, HeadroomRow>();
  const row = (labels: Record<string, string | number>): HeadroomRow | undefined => {
    const provider = text(labels, 'provider');
    const model = text(labels, 'model');
    if (filter.provider !== undefined && filter.provider !== provider) return undefined;
    if (filter.model !== undefined && filter.model !== model) return undefined;
    const resource = text(labels, 'resource');
    const key = `${provider}\u0000${model}\u0000${resource}`;
    let found = rows.get(key);
    if (found === undefined) {
      found = {
        provider,
        model,
        resource,
        limit: undefined,
        remaining: undefined,
        share: undefined,
        resetSeconds: undefined,
      };
      rows.set(key, found);
    }
    return found;
  };
  for (const { labels, value } of limits) {
    const found = row(labels);
    if (found) found.limit = value;
  }
  for (const { labels, value } of remaining) {
    const found = row(labels);
    if (found) found.remaining = value;
  }
  for (const { labels, value } of resets) {
    const found = row(labels);
    if (found) found.resetSeconds = value;
  }
  const headroom = [...rows.values()];
  for (const one of headroom) {
    if (one.limit !== undefined && one.limit > 0 && one.remaining !== undefined) one.share = one.remaining / one.limit;
  }
  headroom.sort((a, b) => (a.share ?? 1) - (b.share ?? 1) || a.model.localeCompare(b.model));

  const keyOf = (labels: Record<string, string | number>) => JSON.stringify(Object.entries(labels).sort());
  const spent = new Map(budgetSpent.map(({ labels, value }) => [keyOf(labels), value]));
  const budgets = budgetUsd.map(({ labels, value }) => ({
    labels: Object.fromEntries(
      Object.entries(labels)
        .filter(([name, labelValue]) => name !== 'period' && labelValue !== '')
        .map(([name, labelValue]) => [name, String(labelValue)]),
    ),
    period: text(labels, 'period'),
    usd: value,
    spentUsd: spent.get(keyOf(labels)) ?? 0,
  }));
  budgets.sort((a, b) => b.spentUsd / b.usd - a.spentUsd / a.usd);
  return { headroom, budgets };
}
