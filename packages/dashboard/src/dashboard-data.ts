import { type LabelFilter, type ModelSummary, summarizeSnapshot } from '@llmeter/core';
import { type BudgetRow, type HeadroomRow, readLimits } from './limits-data.js';
import type { HistoryView, MetricsHistory } from './metrics-history.js';
import { type ProxyHealth, readProxyHealth } from './proxy-health-data.js';

/**
 * The JSON of the dashboard's `data` route, which its page draws. In the JSON, a number that is not finite (the
 * NaN quantile of a model with no observation yet) is `null`.
 */
export interface DashboardData {
  /** When this was computed, ms since the epoch. */
  generatedAt: number;
  /** How often the page should ask again, in seconds. */
  refreshSeconds: number;
  /** The filter applied. */
  filter: LabelFilter;
  /** Exact totals since the metrics began, over the filtered series (from the registry, not the history). */
  total: ModelSummary;
  /** Every model passing the filter, most expensive first. */
  models: ModelSummary[];
  /** Models with calls that had no known price. */
  unpriced: { provider: string; model: string; requests: number }[];
  /** Rate-limit headroom of the filtered providers and models, lowest share left first. */
  headroom: HeadroomRow[];
  /** Every budget and its spend in the current period, largest share spent first. */
  budgets: BudgetRow[];
  /** The proxy's own work since it started (unfiltered); null where no proxy counted any (an SDK app). */
  proxy: ProxyHealth | null;
  /** The values the filters can take (unfiltered). */
  filters: {
    providers: string[];
    models: { provider: string; model: string }[];
    labels: Record<string, string[]>;
  };
  charts: HistoryView;
}

/** What one `data` request asks for. */
export interface DashboardDataQuery {
  filter: LabelFilter;
  /** Models charted one by one. */
  topN: number;
  /** Width of the rolling window of quantiles and error ratios; default that of {@link MetricsHistory.query}. */
  windowMs?: number | undefined;
}

/**
 * Reads the registry behind `history` for exact totals and the history for the charts.
 *
 * @example
 * ```ts
 * const data = await readDashboardData(history, { filter: { provider: 'openai' }, topN: 8 });
 * console.log(data.total.costUsd);
 * ```
 */
export async function readDashboardData(history: MetricsHistory, query: DashboardDataQuery): Promise<DashboardData> {
  const { filter, topN, windowMs } = query;
  const snapshot = await history.snapshot();
  const all = summarizeSnapshot(snapshot);
  const selected = summarizeSnapshot(snapshot, filter);
  const [{ headroom, budgets }, proxy] = await Promise.all([
    readLimits(history.registry, filter, history.prefix),
    readProxyHealth(history.registry, history.prefix),
  ]);
  return {
    generatedAt: Date.now(),
    refreshSeconds: Math.min(5, Math.max(1, history.intervalMs / 1000)),
    filter,
    total: selected.total,
    models: selected.models,
    unpriced: selected.models
      .filter((model) => model.unpricedRequests > 0)
      .map(({ provider, model, unpricedRequests }) => ({ provider, model, requests: unpricedRequests })),
    headroom,
    budgets,
    proxy: proxy ?? null,
    filters: {
      providers: all.providers,
      models: all.models
        .map(({ provider, model }) => ({ provider, model }))
        .sort((a, b) => a.model.localeCompare(b.model) || a.provider.localeCompare(b.provider)),
      labels: all.labelValues,
    },
    charts: history.query({ filter, topN, windowMs }),
  };
}
