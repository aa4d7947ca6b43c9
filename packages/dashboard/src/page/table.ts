import { type Formatter, formatCount, formatRatio, formatSeconds, formatUsd } from './format.js';
import type { PageData, PageModel } from './page-data.js';

/** Which column the table is sorted by (a dotted path into a model, as the header's `data-key`), and which way. */
export interface TableSort {
  key: string;
  descending: boolean;
}

const CELL_FORMATS: Readonly<Record<string, Formatter>> = {
  requests: formatCount,
  errorRatio: formatRatio,
  costUsd: formatUsd,
  unpricedRequests: formatCount,
  'tokens.input': formatCount,
  'tokens.output': formatCount,
};

/** The value at a dotted path (`latency.p95`) of a model line. */
function valueAt(row: PageModel, key: string): unknown {
  let value: unknown = row;
  for (const part of key.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

// Unknown numbers (null) sort below every known one.
function sortable(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NEGATIVE_INFINITY;
}

function compare(a: PageModel, b: PageModel, sort: TableSort): number {
  const x = valueAt(a, sort.key);
  const y = valueAt(b, sort.key);
  let order: number;
  if (typeof x === 'string' || typeof y === 'string') order = String(x).localeCompare(String(y));
  else order = sortable(x) - sortable(y);
  // Infinity minus Infinity: two unknowns are equal.
  if (order === 0 || Number.isNaN(order)) order = a.model.localeCompare(b.model);
  return sort.descending ? -order : order;
}

function cellText(key: string, value: unknown): string {
  const format = CELL_FORMATS[key] ?? (key.indexOf('.p') > 0 ? formatSeconds : undefined);
  if (format) return format(typeof value === 'number' ? value : null);
  return String(value);
}

/**
 * Fills the model table (`#models`), one row per model sorted as asked, its columns those of its headers'
 * `data-key`, and marks the sorted header; `count` gets the number of models.
 */
export function renderTable(data: PageData, table: HTMLTableElement, count: HTMLElement, sort: TableSort): void {
  const headers = [...table.querySelectorAll<HTMLElement>('th')];
  const keys = headers.map((th) => th.dataset.key ?? '');
  for (const th of headers) {
    th.classList.toggle('sorted-asc', th.dataset.key === sort.key && !sort.descending);
    th.classList.toggle('sorted-desc', th.dataset.key === sort.key && sort.descending);
  }
  const rows = [...data.models].sort((a, b) => compare(a, b, sort));
  const fragment = document.createDocumentFragment();
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const key of keys) {
      const td = document.createElement('td');
      td.textContent = cellText(key, valueAt(row, key));
      tr.appendChild(td);
    }
    fragment.appendChild(tr);
  }
  table.tBodies[0]?.replaceChildren(fragment);
  count.textContent = `(${rows.length})`;
}

/** The sort after a click on the header of `key`: the same column flips, another sorts text up and numbers down. */
export function nextSort(sort: TableSort, key: string): TableSort {
  if (sort.key === key) return { key, descending: !sort.descending };
  return { key, descending: key !== 'model' && key !== 'provider' };
}
