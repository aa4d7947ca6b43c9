/**
 * The dashboard page (the entry module of `page/`): polls `data` with the page's own query string as the filter
 * and draws it: the numbers, a uPlot chart per `figure.chart`, the unpriced models and the sortable model table.
 * Filters live in the URL, so a filtered view can be bookmarked.
 */
import { renderChart, resizeCharts } from './charts.js';
import { renderFilters, setQueryParam } from './filters.js';
import { formatCount, formatRatio, formatSeconds, formatShortSeconds, formatUsd } from './format.js';
import type { PageData } from './page-data.js';
import { nextSort, renderTable, type TableSort } from './table.js';

/** The element with this id, which the page's markup has. */
function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the dashboard page has no ${type.name} #${id}`);
  return found;
}

const page = {
  status: element('status', HTMLElement),
  provider: element('filter-provider', HTMLSelectElement),
  model: element('filter-model', HTMLSelectElement),
  labels: element('filter-labels', HTMLElement),
  cost: element('total-cost', HTMLElement),
  requests: element('total-requests', HTMLElement),
  errors: element('total-errors', HTMLElement),
  tokens: element('total-tokens', HTMLElement),
  p95: element('total-p95', HTMLElement),
  inFlight: element('total-in-flight', HTMLElement),
  unpriced: element('unpriced-list', HTMLUListElement),
  headroom: element('headroom-list', HTMLUListElement),
  budgets: element('budgets-list', HTMLUListElement),
  proxyPanel: element('proxy-panel', HTMLElement),
  proxy: element('proxy-list', HTMLUListElement),
  table: element('models', HTMLTableElement),
  modelCount: element('model-count', HTMLElement),
};

const DEFAULT_REFRESH_SECONDS = 5;
let sort: TableSort = { key: 'costUsd', descending: true };
let lastData: PageData | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let updates = 0;

function renderNumbers(data: PageData): void {
  const { total } = data;
  page.cost.textContent = formatUsd(total.costUsd);
  // The exact value, for whoever needs more than the digits shown (tests do).
  page.cost.dataset.usd = String(total.costUsd);
  page.requests.textContent = formatCount(total.requests);
  page.errors.textContent = formatRatio(total.errorRatio);
  page.tokens.textContent = formatCount((total.tokens.input ?? 0) + (total.tokens.output ?? 0));
  page.p95.textContent = formatSeconds(total.latency.p95);
  page.inFlight.textContent = formatCount(total.inFlight);
}

function renderUnpriced(data: PageData): void {
  const items = data.unpriced.map((unpriced) => {
    const item = document.createElement('li');
    item.textContent = `${unpriced.model} (${unpriced.provider}): ${formatCount(unpriced.requests)} calls`;
    return item;
  });
  if (items.length === 0) {
    const none = document.createElement('li');
    none.className = 'none';
    none.textContent = 'none: every call was priced';
    items.push(none);
  }
  page.unpriced.replaceChildren(...items);
}

/** A list's items, or one "none" item saying why it is empty. */
function listItems(texts: string[], none: string): HTMLLIElement[] {
  const items = texts.map((text) => {
    const item = document.createElement('li');
    item.textContent = text;
    return item;
  });
  if (items.length === 0) {
    const item = document.createElement('li');
    item.className = 'none';
    item.textContent = none;
    items.push(item);
  }
  return items;
}

function renderLimits(data: PageData): void {
  page.headroom.replaceChildren(
    ...listItems(
      data.headroom.map(
        (one) =>
          `${one.model} (${one.provider}) ${one.resource}: ${formatRatio(one.share)} left, ` +
          `${formatCount(one.remaining)} of ${formatCount(one.limit)}, resets in ${formatSeconds(one.resetSeconds)}`,
      ),
      'none: no response reported rate limits',
    ),
  );
  page.budgets.replaceChildren(
    ...listItems(
      data.budgets.map((one) => {
        const on = Object.entries(one.labels).map(([name, value]) => `${name}=${value}`);
        return `${on.length > 0 ? on.join(', ') : 'all calls'} (${one.period}): ${formatUsd(one.spentUsd)} of ${formatUsd(one.usd)}`;
      }),
      'none configured',
    ),
  );
}

/** The proxy's own health; the panel stays hidden where no proxy counted anything (an SDK app's dashboard). */
function renderProxyHealth(data: PageData): void {
  const { proxy } = data;
  page.proxyPanel.hidden = proxy === null;
  if (proxy === null) return;
  const refused = proxy.refused.map((one) => `${one.reason} ${formatCount(one.count)}`);
  page.proxy.replaceChildren(
    ...listItems(
      [
        `overhead p99: ${formatShortSeconds(proxy.overheadP99Seconds)} over ${formatCount(proxy.overheadCalls)} calls`,
        `refused: ${refused.length > 0 ? refused.join(', ') : 'none'}`,
        `upstream connection errors: ${formatCount(proxy.upstreamConnectionErrors)}`,
      ],
      'none',
    ),
  );
}

function render(data: PageData): void {
  lastData = data;
  renderFilters(data, page, () => void refresh());
  renderNumbers(data);
  for (const figure of document.querySelectorAll<HTMLElement>('figure.chart')) renderChart(figure, data.charts);
  renderUnpriced(data);
  renderLimits(data);
  renderProxyHealth(data);
  renderTable(data, page.table, page.modelCount, sort);
  updates += 1;
  document.body.dataset.updates = String(updates);
  page.status.classList.remove('error');
  const { timestamps, intervalSeconds } = data.charts;
  page.status.textContent = `updated ${new Date(data.generatedAt ?? Date.now()).toLocaleTimeString()} · ${
    timestamps.length
  } samples every ${intervalSeconds} s`;
}

async function load(): Promise<PageData> {
  const response = await fetch(`data${window.location.search}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`data answered ${response.status}`);
  return (await response.json()) as PageData;
}

/** Loads and draws now, then again after the refresh interval the data asks for. */
async function refresh(): Promise<void> {
  clearTimeout(timer);
  let refreshSeconds = lastData?.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  try {
    const data = await load();
    refreshSeconds = data.refreshSeconds ?? refreshSeconds;
    render(data);
  } catch (error) {
    page.status.classList.add('error');
    page.status.textContent = `cannot load data: ${error instanceof Error ? error.message : String(error)}`;
  }
  timer = setTimeout(() => void refresh(), refreshSeconds * 1000);
}

page.provider.addEventListener('change', () => {
  setQueryParam('provider', page.provider.value);
  setQueryParam('model', '');
  void refresh();
});
page.model.addEventListener('change', () => {
  setQueryParam('model', page.model.value);
  void refresh();
});
for (const th of page.table.querySelectorAll<HTMLElement>('th')) {
  const sortBy = (): void => {
    sort = nextSort(sort, th.dataset.key ?? '');
    if (lastData) renderTable(lastData, page.table, page.modelCount, sort);
  };
  th.addEventListener('click', sortBy);
  th.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') sortBy();
  });
}
window.addEventListener('resize', resizeCharts);
void refresh();
