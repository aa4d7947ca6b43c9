import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMeter } from '@llmeter/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  type Dashboard,
  type DashboardVariable,
  dashboardExprs,
  interpolate,
  promtool,
  readDashboard,
  recordedNames,
} from './tools.js';

const FILTERS = ['provider=~"$provider"', 'model=~"$model"', 'operation=~"$operation"'];
// Series that are not about one call carry fewer of the filtered labels (README, "The metric contract"): the rate
// limits have no `operation`, the proxy's own metrics and the budgets no `model`; a query of them filters by
// what they have.
const FEWER_FILTERS: Readonly<Record<string, readonly string[]>> = {
  'model_resource:llm_ratelimit_remaining:ratio': FILTERS.slice(0, 2),
  llm_ratelimit_reset_seconds: FILTERS.slice(0, 2),
  'instance:llm_proxy_overhead_seconds:p99_5m': [],
  llm_proxy_refused_total: [],
  // Budgets carry their own labels and `period`.
  'budget:llm_budget_spent:ratio': [],
  'budget:llm_budget_spent_usd:sum': [],
  'budget:llm_budget_spent_usd:forecast': [],
  llm_budget_usd: [],
};
// Every panel follows the `datasource` variable.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const PANEL_DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** The metric names of the contract, as the real meter registers them (histograms with their series suffixes). */
async function contractNames(): Promise<Set<string>> {
  const registry = new Registry();
  createMeter({ registry });
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
  }
  return names;
}

/**
 * Names in a PromQL expression that can only be metric names: those before a selector's `{` or `[`, those with
 * a colon (recording rules), and those starting with the `llm_` prefix. Quoted strings (label values, regexes)
 * are left out first.
 */
function metricNamesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set<string>();
  for (const match of code.matchAll(/(?<![\w:$])([a-zA-Z_:][\w:]*)(\s*[{[])?/g)) {
    const name = match[1] ?? '';
    if (match[2] !== undefined || name.includes(':') || name.startsWith('llm_')) names.add(name);
  }
  return [...names];
}

function variable(dashboard: Dashboard, name: string): DashboardVariable | undefined {
  return dashboard.templating?.list?.find((candidate) => candidate.name === name);
}

describe('deploy/grafana/llmeter.json', () => {
  it('is an importable dashboard: inputs, requires, uid, title, schema version', async () => {
    const dashboard = await readDashboard();
    expect(dashboard.title).toBe('llmeter — LLM cost and latency');
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    );
    const requires = dashboard.__requires ?? [];
    expect(requires).toContainEqual(expect.objectContaining({ type: 'grafana', id: 'grafana' }));
    expect(requires).toContainEqual(expect.objectContaining({ type: 'datasource', id: 'prometheus' }));
    // Grafana checks on import that every panel plugin the dashboard uses is installed.
    const panelTypes = new Set((dashboard.panels ?? []).map((panel) => panel.type));
    const requiredPanels = new Set(requires.filter((entry) => entry.type === 'panel').map((entry) => entry.id));
    expect(requiredPanels).toEqual(panelTypes);
  });

  it('has the datasource, provider, model, operation and ad-hoc label variables', async () => {
    const dashboard = await readDashboard();
    expect(variable(dashboard, 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['provider', 'model', 'operation']) {
      const found = variable(dashboard, name);
      expect(found, name).toMatchObject({
        type: 'query',
        multi: true,
        includeAll: true,
        allValue: '.*',
        datasource: PANEL_DATASOURCE,
      });
      expect(found?.query).toMatch(new RegExp(`^label_values\\(llm_requests_total(\\{.*\\})?, ${name}\\)$`));
    }
    expect(variable(dashboard, 'filters')).toMatchObject({ type: 'adhoc', datasource: PANEL_DATASOURCE });
  });

  it('panels: unique ids, grid positions, the datasource variable, at least one query each', async () => {
    const dashboard = await readDashboard();
    const panels = dashboard.panels ?? [];
    expect(panels.length).toBeGreaterThanOrEqual(12);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const name = `panel ${panel.id} "${panel.title}"`;
      expect(panel.id, name).toBeTypeOf('number');
      expect(panel.title, name).toBeTruthy();
      expect(panel.datasource, name).toEqual(PANEL_DATASOURCE);
      const grid = panel.gridPos;
      expect(grid, name).toBeDefined();
      for (const field of ['x', 'y', 'w', 'h'] as const)
        expect(grid?.[field], `${name} gridPos.${field}`).toBeTypeOf('number');
      expect((grid?.x ?? 0) + (grid?.w ?? 0), `${name} fits 24 columns`).toBeLessThanOrEqual(24);
      const targets = panel.targets ?? [];
      expect(targets.length, name).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.expr, name).toBeTruthy();
        expect(target.datasource, name).toEqual(PANEL_DATASOURCE);
      }
    }
  });

  it('spend comes first, and panels carry the units of what they show', async () => {
    const panels = (await readDashboard()).panels ?? [];
    const first = panels[0];
    expect(first?.targets?.[0]?.expr).toMatch(/^sum by \(model\) \(rate\(llm_cost_usd_total\{/);
    expect(first?.gridPos).toMatchObject({ x: 0, y: 0 });
    const unitOf = (pattern: RegExp) =>
      panels
        .filter((panel) => panel.targets?.some((target) => pattern.test(target.expr ?? '')))
        .map((panel) => panel.fieldConfig?.defaults?.unit);
    expect(new Set(unitOf(/llm_cost_usd_total/))).toEqual(new Set(['currencyUSD']));
    expect(new Set(unitOf(/histogram_quantile/))).toEqual(new Set(['s']));
    expect(unitOf(/^sum by \(model, status\) \(rate\(llm_requests_total/)).toEqual(['reqps']);
    expect(unitOf(/llm_request_failures_total/)).toEqual(['percentunit']);
  });

  it('every query filters by the variables and uses $__rate_interval for rates', async () => {
    for (const { where, expr } of dashboardExprs(await readDashboard())) {
      // Each selector (metric name and braces) carries all three filters, or those of FEWER_FILTERS.
      const selectors = [...expr.matchAll(/([\w:]*llm_[\w:]*)(?:\{([^}]*)\})?/g)].map((match) => ({
        name: match[1] ?? '',
        matchers: match[2],
      }));
      expect(selectors.length, where).toBeGreaterThan(0);
      for (const { name, matchers } of selectors) {
        const filters = FEWER_FILTERS[name] ?? FILTERS;
        if (filters.length > 0) expect(matchers, `${where}: ${name} without filters`).toBeDefined();
        for (const filter of filters) expect(matchers, `${where}: ${name}`).toContain(filter);
      }
      // Range vectors: $__rate_interval for rates, $__range for totals over the picked range.
      for (const [, range] of expr.matchAll(/\[([^\]]+)\]/g))
        expect(['$__rate_interval', '$__range'], where).toContain(range);
    }
  });

  it('every query reads only metrics of the contract or of the recording rules', async () => {
    const dashboard = await readDashboard();
    const allowed = new Set([...(await contractNames()), ...(await recordedNames())]);
    expect(allowed).toContain('llm_request_duration_seconds_bucket');
    expect(allowed).toContain('model:llm_cost_usd:rate5m');
    const variableQueries = (dashboard.templating?.list ?? []).flatMap((found) =>
      found.type === 'query' && found.query !== undefined
        ? [{ where: `variable ${found.name}`, expr: found.query }]
        : [],
    );
    for (const { where, expr } of [...dashboardExprs(dashboard), ...variableQueries]) {
      for (const name of metricNamesIn(expr)) expect(allowed, `${where}: ${name}`).toContain(name);
    }
  });

  it('every query parses (promtool check rules, offline)', async () => {
    // promtool has no offline "parse this expression" command, but `check rules` parses and type-checks every
    // rule's expr: each query becomes a recording rule of a throwaway file (JSON is YAML).
    const exprs = dashboardExprs(await readDashboard());
    const rules = exprs.map(({ expr }, index) => ({
      record: `llmeter_dashboard:query_${index}`,
      expr: interpolate(expr),
    }));
    const dir = await mkdtemp(join(tmpdir(), 'llmeter-dashboard-'));
    try {
      const file = join(dir, 'dashboard-queries.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2));
      const result = await promtool(['check', 'rules', file]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
