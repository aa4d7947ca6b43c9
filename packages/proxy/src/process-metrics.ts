import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default metrics that `promtool check metrics` rejects: gauges named `*_total`, a suffix
 * Prometheus keeps for counters. Each is the sum of its labelled sibling without the suffix
 * (`nodejs_active_handles{type}`…), so `sum(nodejs_active_handles)` reads the same number.
 */
export const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/**
 * Exports the Node process metrics on `registry`: prom-client's defaults (CPU, resident memory, heap, open file
 * descriptors, event loop lag, GC, start time), without {@link DROPPED_DEFAULT_METRICS}, so that the proxy's
 * `/metrics` passes `promtool check metrics` with no warning.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * collectProcessMetrics(registry);
 * ```
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
}
