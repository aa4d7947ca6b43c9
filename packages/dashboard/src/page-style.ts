/** The dashboard page's stylesheet (served as `dashboard.css`). */
export const DASHBOARD_STYLE = `
:root {
  color-scheme: light;
  --fg: #1d2330;
  --muted: #6b7385;
  --line: #e3e6ee;
  --bg: #f6f7fb;
  --card: #ffffff;
  --accent: #3b5bdb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 14px;
  color: var(--fg);
  background: var(--bg);
}
body { margin: 0; }
header {
  display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px;
  padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line);
  position: sticky; top: 0; z-index: 10;
}
h1 { font-size: 18px; margin: 0; letter-spacing: 0.02em; }
h2 { font-size: 14px; margin: 0 0 8px; }
h2 small { color: var(--muted); font-weight: normal; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.filters label { color: var(--muted); }
.filters select { margin-left: 4px; max-width: 220px; }
.status { margin-left: auto; color: var(--muted); font-size: 12px; }
.status.error { color: #c92a2a; }
main { padding: 16px 20px 40px; }
.numbers { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }
.number {
  background: var(--card); border: 1px solid var(--line); border-radius: 6px;
  padding: 10px 16px; min-width: 120px; display: flex; flex-direction: column;
}
.number .caption { color: var(--muted); font-size: 12px; }
.number span:last-child { font-size: 20px; font-variant-numeric: tabular-nums; }
.number.big span:last-child { font-size: 32px; font-weight: 600; color: var(--accent); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; }
.chart {
  margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 10px; min-width: 0;
}
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.plot { min-height: 220px; }
.empty { color: var(--muted); margin: 90px 0; text-align: center; }
.panel {
  margin-top: 16px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
}
/* A hidden panel (the proxy's health, in an SDK app) stays hidden despite .panel's own styles. */
.panel[hidden] { display: none; }
#unpriced-list { margin: 0; padding-left: 20px; }
#unpriced-list .none { color: var(--muted); list-style: none; margin-left: -20px; }
.table-wrap { max-height: 560px; overflow: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
th { position: sticky; top: 0; background: var(--card); cursor: pointer; user-select: none; }
th.sorted-asc::after { content: " \\25B2"; font-size: 10px; }
th.sorted-desc::after { content: " \\25BC"; font-size: 10px; }
tbody tr:hover { background: #f0f3ff; }
.u-legend { font-size: 12px; }
.u-legend .u-series > * { padding: 1px 2px; }
`;
