import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContractScope, type LabelSet, STANDARD_METRICS, templateLabels } from './contract-references.js';
import { type Expr, PromqlSyntaxError, parsePromql } from './promql.js';
import { yamlScalars } from './yaml-scalars.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROMETHEUS_DIR = join(ROOT, 'deploy/prometheus');
/** Loaded in this order, as `deploy/prometheus/prometheus.yml` and the promtool tests load them. */
const RULE_FILES = ['llmeter-recording-rules.yml', 'llmeter-alert-rules.yml'].map((name) => join(PROMETHEUS_DIR, name));
const DASHBOARD_FILE = join(ROOT, 'deploy/grafana/llmeter.json');

/** The files the queries live in: path relative to the repository → text. */
export type DeployFiles = Map<string, string>;

/** Reads the rule files, the promtool test files and the Grafana dashboard. */
export async function readDeployFiles(): Promise<DeployFiles> {
  const testDir = join(PROMETHEUS_DIR, 'tests');
  const tests = (await readdir(testDir)).filter((name) => name.endsWith('.yml')).sort();
  const paths = [...RULE_FILES, ...tests.map((name) => join(testDir, name)), DASHBOARD_FILE];
  const files: DeployFiles = new Map();
  for (const path of paths) files.set(relative(ROOT, path), await readFile(path, 'utf8'));
  return files;
}

/** What a check read, so a test can tell it read everything. */
export interface DeployCheck {
  problems: string[];
  /** Queries checked per file. */
  queries: Map<string, number>;
}

/** Checks every query of the deploy files against the metric contract. */
export function checkDeployFiles(files: DeployFiles): DeployCheck {
  const scope = new ContractScope();
  const queries = new Map<string, number>();
  const count = (file: string) => queries.set(file, (queries.get(file) ?? 0) + 1);
  for (const [file, text] of files) {
    if (file.endsWith('.json')) checkDashboard(scope, file, text, count);
    else if (file.includes('/tests/')) checkPromtoolTests(scope, file, text, count);
    else checkRules(scope, file, text, count);
  }
  return { problems: scope.problems, queries };
}

function parse(scope: ContractScope, query: string, where: string): Expr | undefined {
  try {
    return parsePromql(query);
  } catch (error) {
    if (!(error instanceof PromqlSyntaxError)) throw error;
    scope.report(where, error.message);
    return undefined;
  }
}

function checkTemplate(
  scope: ContractScope,
  template: string,
  style: 'legend' | 'annotation',
  labels: ReadonlySet<string>,
  where: string,
) {
  for (const label of templateLabels(template, style)) {
    if (!labels.has(label)) scope.report(where, `prints label "${label}", which the query's result does not have`);
  }
}

// Keys of a rule that are not labels of its alerts; every other scalar key under an alert is one of its `labels:`.
const RULE_FIELDS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'summary', 'description']);

function checkRules(scope: ContractScope, file: string, text: string, count: (file: string) => void): void {
  let rule: { kind: 'record' | 'alert'; name: string; labels: Set<string> } | undefined;
  for (const { key, value, line } of yamlScalars(text)) {
    if (key === 'record' || key === 'alert') {
      rule = { kind: key, name: value, labels: new Set(['alertname']) };
      continue;
    }
    // A group's name: the rules before it are done.
    if (key === 'name') rule = undefined;
    if (!rule) continue;
    const where = `${file}:${line} (${rule.name})`;
    if (key === 'expr') {
      count(file);
      const query = parse(scope, value, where);
      if (!query) continue;
      if (rule.kind === 'record') scope.record(rule.name, query, where);
      else for (const label of scope.check(query, where) ?? []) rule.labels.add(label);
    } else if (rule.kind === 'alert' && (key === 'summary' || key === 'description')) {
      checkTemplate(scope, value, 'annotation', rule.labels, where);
    } else if (rule.kind === 'alert' && !RULE_FIELDS.has(key)) {
      rule.labels.add(key);
    }
  }
}

function checkPromtoolTests(scope: ContractScope, file: string, text: string, count: (file: string) => void): void {
  let result: LabelSet = null;
  for (const { key, value, line } of yamlScalars(text)) {
    const where = `${file}:${line}`;
    if (key === 'series') {
      count(file);
      checkInputSeries(scope, value, where);
    } else if (key === 'expr') {
      count(file);
      const query = parse(scope, value, where);
      result = query ? scope.check(query, where) : null;
    } else if (key === 'labels') {
      // An expected sample of the promql_expr_test above: its labels are labels of that query's result.
      const sample = parse(scope, value, where);
      if (sample?.kind !== 'selector') {
        scope.report(where, `expected sample labels, got ${value}`);
        continue;
      }
      for (const { label } of sample.matchers) {
        if (!result?.has(label))
          scope.report(where, `expected sample has label "${label}", which the query's result does not`);
      }
    }
  }
}

/**
 * An input series is what llmeter exposes: one of its series, with every label the contract gives it, or one of
 * the standard process metrics (the proxy's own health), with labels it has.
 */
function checkInputSeries(scope: ContractScope, value: string, where: string): void {
  const series = parse(scope, value, where);
  if (series?.kind !== 'selector' || series.name === undefined) {
    scope.report(where, `expected a series, got ${value}`);
    return;
  }
  const contract = scope.contractLabelsOf(series.name);
  const labels = scope.labelsOf(series.name);
  if (!labels || (!contract && STANDARD_METRICS[series.name] === undefined)) {
    scope.report(where, `input series "${series.name}" is not a series llmeter exposes`);
    return;
  }
  scope.checkMatchers(series.name, series.matchers, labels, where);
  const given = new Set(series.matchers.map((matcher) => matcher.label));
  for (const label of contract ?? []) {
    if (!given.has(label)) scope.report(where, `input series ${series.name} lacks the contract's label "${label}"`);
  }
}

interface DashboardJson {
  panels?: DashboardPanelJson[];
  templating?: { list?: { name?: string; type?: string; query?: unknown }[] };
}

interface DashboardPanelJson {
  id?: number;
  title?: string;
  targets?: { refId?: string; expr?: string; legendFormat?: string }[];
  panels?: DashboardPanelJson[];
}

function checkDashboard(scope: ContractScope, file: string, text: string, count: (file: string) => void): void {
  // The fields read here are checked as they are read; the dashboard's full shape is test/deploy's concern.
  const dashboard = JSON.parse(text) as DashboardJson;
  const panels = (list: readonly DashboardPanelJson[]): DashboardPanelJson[] =>
    list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
  for (const panel of panels(dashboard.panels ?? [])) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) continue;
      count(file);
      const where = `${file} panel ${panel.id} "${panel.title}" ${target.refId}`;
      const query = parse(scope, target.expr, where);
      if (!query) continue;
      const labels = scope.check(query, where) ?? new Set<string>();
      if (target.legendFormat !== undefined) checkTemplate(scope, target.legendFormat, 'legend', labels, where);
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    count(file);
    const where = `${file} variable "${variable.name}"`;
    const query = typeof variable.query === 'string' ? variable.query : '';
    // Grafana's label_values(selector, label): the label must be on the selected series.
    const match = /^label_values\((.*),\s*([a-zA-Z_]\w*)\)$/s.exec(query);
    if (!match) {
      scope.report(where, `not a label_values(selector, label) query: ${query}`);
      continue;
    }
    const selector = parse(scope, match[1] ?? '', where);
    const labels = selector ? scope.check(selector, where) : null;
    const label = match[2] ?? '';
    if (!labels?.has(label)) scope.report(where, `label "${label}" is not on ${match[1]}`);
  }
}

/** Checks the PromQL examples of a Markdown text's ```promql blocks, one query a line. */
export function checkMarkdownQueries(markdown: string, file: string): DeployCheck {
  const scope = new ContractScope();
  let queries = 0;
  for (const block of markdown.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      queries++;
      const where = `${file}: ${line.trim()}`;
      const query = parse(scope, line, where);
      if (query) scope.check(query, where);
    }
  }
  return { problems: scope.problems, queries: new Map([[file, queries]]) };
}
