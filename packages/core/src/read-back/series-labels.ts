import { CONTRACT_LABEL_NAMES } from '../metric-contract.js';

/** Labels of one series, as prom-client reports them (numbers, such as `le`, turned into strings). */
export type SeriesLabels = Readonly<Record<string, string>>;

/**
 * Which series count: each given field must equal the series' label. `labels` are user labels (e.g. `team`).
 * An empty filter matches everything.
 */
export interface LabelFilter {
  provider?: string | undefined;
  model?: string | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
}

/** Whether a series' labels pass a filter. */
export function matchesFilter(labels: SeriesLabels, filter: LabelFilter): boolean {
  if (filter.provider !== undefined && labels.provider !== filter.provider) return false;
  if (filter.model !== undefined && labels.model !== filter.model) return false;
  for (const [name, value] of Object.entries(filter.labels ?? {})) if (labels[name] !== value) return false;
  return true;
}

/** The user labels of a series: every label that is not part of the metric contract (nor a histogram's `le`). */
export function userLabels(labels: SeriesLabels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels))
    if (!CONTRACT_LABEL_NAMES.has(name) && name !== 'le') result[name] = value;
  return result;
}

/** A stable key of a label set, whatever the order of its names. */
export function seriesKey(labels: SeriesLabels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
