import type { HistoryView } from './metrics-history.js';

/** How the page formats a chart's values (the formatters of `@llmeter/dashboard/format`). */
export type ChartUnit = 'usd' | 'rate' | 'ratio' | 'seconds' | 'count';

/** One chart of the page: its element id, the {@link HistoryView} field it draws, its title and unit. */
export interface ChartPanel {
  id: string;
  field: Exclude<keyof HistoryView, 'intervalSeconds' | 'windowSeconds' | 'timestamps'>;
  title: string;
  unit: ChartUnit;
}

/** The charts, in page order; the page's script reads them from the markup (`data-field`, `data-unit`). */
export const CHART_PANELS: readonly ChartPanel[] = [
  { id: 'spend', field: 'spend', title: 'Spend by model (USD, cumulative over the history)', unit: 'usd' },
  { id: 'tokens', field: 'tokensPerSecond', title: 'Tokens/s by type', unit: 'rate' },
  { id: 'requests', field: 'requestsPerSecond', title: 'Requests/s by model', unit: 'rate' },
  { id: 'errors', field: 'errorRatio', title: 'Error ratio by error_type', unit: 'ratio' },
  { id: 'latency', field: 'latency', title: 'Latency p50 / p95 / p99', unit: 'seconds' },
  { id: 'latency-by-model', field: 'latencyByModel', title: 'p95 latency by model', unit: 'seconds' },
  { id: 'ttft', field: 'timeToFirstToken', title: 'Time to first token p50 / p95 / p99', unit: 'seconds' },
  { id: 'ttft-by-model', field: 'timeToFirstTokenByModel', title: 'p95 time to first token by model', unit: 'seconds' },
  { id: 'in-flight', field: 'inFlight', title: 'Calls in flight', unit: 'count' },
  { id: 'unpriced', field: 'unpricedPerSecond', title: 'Unpriced calls/s by model', unit: 'rate' },
];

const TABLE_COLUMNS: readonly (readonly [key: string, title: string])[] = [
  ['model', 'model'],
  ['provider', 'provider'],
  ['requests', 'requests'],
  ['errorRatio', 'errors'],
  ['latency.p50', 'p50'],
  ['latency.p95', 'p95'],
  ['latency.p99', 'p99'],
  ['timeToFirstToken.p50', 'TTFT p50'],
  ['timeToFirstToken.p95', 'TTFT p95'],
  ['timeToFirstToken.p99', 'TTFT p99'],
  ['tokens.input', 'input tok'],
  ['tokens.output', 'output tok'],
  ['costUsd', 'cost'],
  ['unpricedRequests', 'unpriced'],
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The dashboard page. `basePath` is where the dashboard is mounted, ending in `/` (e.g. `/dashboard/`): the
 * page's assets and its `data` request are relative to it.
 */
export function dashboardHtml(basePath: string): string {
  const charts = CHART_PANELS.map(
    (panel) =>
      `<figure class="chart" id="chart-${panel.id}" data-field="${panel.field}" data-unit="${panel.unit}" data-points="0" data-nonzero="0">` +
      `<figcaption>${escapeHtml(panel.title)}</figcaption><div class="plot"><p class="empty">no data yet</p></div></figure>`,
  ).join('\n      ');
  const headers = TABLE_COLUMNS.map(
    ([key, title]) => `<th data-key="${key}" tabindex="0">${escapeHtml(title)}</th>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>llmeter dashboard</title>
    <base href="${escapeHtml(basePath)}">
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="uplot.css">
    <link rel="stylesheet" href="dashboard.css">
    <script src="uplot.js" defer></script>
    <script type="module" src="page/main.js"></script>
  </head>
  <body>
    <header>
      <h1>llmeter</h1>
      <form id="filters" class="filters">
        <label>provider <select name="provider" id="filter-provider"><option value="">all</option></select></label>
        <label>model <select name="model" id="filter-model"><option value="">all</option></select></label>
        <span id="filter-labels"></span>
      </form>
      <span id="status" class="status">loading…</span>
    </header>
    <main>
      <section class="numbers">
        <div class="number big"><span class="caption">total cost</span><span id="total-cost" data-usd="">–</span></div>
        <div class="number"><span class="caption">requests</span><span id="total-requests">–</span></div>
        <div class="number"><span class="caption">errors</span><span id="total-errors">–</span></div>
        <div class="number"><span class="caption">tokens (in + out)</span><span id="total-tokens">–</span></div>
        <div class="number"><span class="caption">p95 latency</span><span id="total-p95">–</span></div>
        <div class="number"><span class="caption">in flight</span><span id="total-in-flight">–</span></div>
      </section>
      <section class="charts">
      ${charts}
      </section>
      <section class="panel" id="unpriced-panel">
        <h2>Unpriced models <small>(tokens counted, cost unknown: add a price)</small></h2>
        <ul id="unpriced-list"><li class="none">none</li></ul>
      </section>
      <section class="panel" id="headroom-panel">
        <h2>Rate-limit headroom <small>(share of each provider limit left, from the latest response)</small></h2>
        <ul id="headroom-list"><li class="none">none</li></ul>
      </section>
      <section class="panel" id="budgets-panel">
        <h2>Budgets <small>(spend in the current UTC period)</small></h2>
        <ul id="budgets-list"><li class="none">none</li></ul>
      </section>
      <section class="panel" id="proxy-panel" hidden>
        <h2>Proxy health <small>(the proxy's own work since it started)</small></h2>
        <ul id="proxy-list"><li class="none">none</li></ul>
      </section>
      <section class="panel">
        <h2>Models <small id="model-count"></small> <small>(since the metrics began; click a column to sort)</small></h2>
        <div class="table-wrap">
          <table id="models"><thead><tr>${headers}</tr></thead><tbody></tbody></table>
        </div>
      </section>
    </main>
  </body>
</html>
`;
}
