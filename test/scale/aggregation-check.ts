import type { PrometheusAnswer } from '../deploy/tools.js';

/** One series of an instant query's answer. */
export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

export function seriesOf(answer: PrometheusAnswer): Series[] {
  const data = answer.data as { resultType?: string; result?: unknown } | undefined;
  if (data?.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
  return Array.isArray(data?.result) ? (data.result as Series[]) : [];
}

const key = (metric: Record<string, string>): string =>
  JSON.stringify(Object.entries(metric).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Why a query's answer over the replicas (`many`) does not aggregate like the truth (`one`): series split by
 * `instance`, series the truth lacks (or the reverse), or values off by more than `tolerance` (relative).
 */
export function aggregationProblems(many: Series[], one: Series[], tolerance: number): string[] {
  const problems: string[] = [];
  for (const series of many) {
    if ('instance' in series.metric) problems.push(`split by instance: ${key(series.metric)}`);
  }
  const truth = new Map(one.map((series) => [key(series.metric), Number(series.value[1])]));
  const seen = new Set<string>();
  for (const series of many) {
    const name = key(series.metric);
    if (seen.has(name)) problems.push(`the same series twice: ${name}`);
    seen.add(name);
    const expected = truth.get(name);
    const actual = Number(series.value[1]);
    if (expected === undefined) {
      problems.push(`a series the single proxy does not have: ${name}`);
      continue;
    }
    if (Number.isNaN(expected) && Number.isNaN(actual)) continue;
    const scale = Math.max(Math.abs(expected), Math.abs(actual), 1e-12);
    if (Math.abs(actual - expected) / scale > tolerance) problems.push(`${name}: ${actual}, single proxy ${expected}`);
  }
  for (const name of truth.keys()) if (!seen.has(name)) problems.push(`a series missing over the replicas: ${name}`);
  return problems;
}
