import { DEFAULT_PREFIX, type HistogramBucket, histogramQuantile, metricName } from '@llmeter/core';
import type { Registry } from 'prom-client';

/** The llmeter proxy's own work since it started, as its registry counted it. */
export interface ProxyHealth {
  /** Requests the proxy answered itself, by reason (`request_too_large`, ...), most first. */
  refused: { reason: string; count: number }[];
  /** Calls whose upstream could not be reached, over every provider. */
  upstreamConnectionErrors: number;
  /** Calls whose proxy overhead was measured. */
  overheadCalls: number;
  /** p99 of the time the proxy's own work added to a call, in seconds; NaN before the first call. */
  overheadP99Seconds: number;
}

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

async function valuesOf(registry: Registry, name: string): Promise<Values | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  return (await metric.get()).values as Values;
}

/**
 * Reads the proxy's own counters and overhead histogram (`*_proxy_refused_total`,
 * `*_proxy_upstream_connection_errors_total`, `*_proxy_overhead_seconds`) from a registry. Undefined when they
 * have counted nothing: a meter registers them everywhere, but only a proxy fills them, so an SDK app's dashboard
 * has no proxy to show.
 *
 * @example
 * ```ts
 * const health = await readProxyHealth(registry);
 * if (health) console.log(health.overheadP99Seconds);
 * ```
 */
export async function readProxyHealth(
  registry: Registry,
  prefix: string = DEFAULT_PREFIX,
): Promise<ProxyHealth | undefined> {
  const [refusedValues, errorValues, overheadValues] = await Promise.all([
    valuesOf(registry, metricName('proxyRefused', prefix)),
    valuesOf(registry, metricName('upstreamConnectionErrors', prefix)),
    valuesOf(registry, metricName('proxyOverhead', prefix)),
  ]);
  const refusedByReason = new Map<string, number>();
  for (const { labels, value } of refusedValues ?? []) {
    const reason = String(labels.reason ?? '');
    refusedByReason.set(reason, (refusedByReason.get(reason) ?? 0) + value);
  }
  const refused = [...refusedByReason]
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const upstreamConnectionErrors = (errorValues ?? []).reduce((sum, { value }) => sum + value, 0);

  // Summed over providers, bucket by bucket (PromQL's `sum by (le)`).
  const byBound = new Map<number, number>();
  for (const { labels, value, metricName: name } of overheadValues ?? []) {
    if (name === undefined || !name.endsWith('_bucket')) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + value);
  }
  const buckets: HistogramBucket[] = [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const overheadCalls = buckets[buckets.length - 1]?.count ?? 0;

  if (refused.length === 0 && upstreamConnectionErrors === 0 && overheadCalls === 0) return undefined;
  return { refused, upstreamConnectionErrors, overheadCalls, overheadP99Seconds: histogramQuantile(0.99, buckets) };
}
