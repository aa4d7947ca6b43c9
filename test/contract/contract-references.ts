/**
 * Checks PromQL against the metric contract: every metric name must be one llmeter exposes (a histogram through
 * its `_bucket`, `_sum` and `_count` series), one the repository's recording rules produce, or one of a short
 * explicit list of standard metrics; every label a query names (matchers, `by`/`without`, `on`/`ignoring`,
 * `group_left`/`group_right`, and what a legend or an annotation prints) must exist on the series it applies to.
 * Label sets flow through the query as Prometheus computes them, so `sum by (model) (...)` leaves only `model`.
 */
import { LABEL_VALUES, METRIC_KEYS, METRICS, metricLabelNames, metricName } from '@llmeter/core';
import type { Expr, Matcher } from './promql.js';

/** User labels the deploy examples put on series (promtool input series): any user label may appear in queries. */
export const EXAMPLE_USER_LABELS = ['team'] as const;

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS = ['job', 'instance'] as const;

/** Standard metrics a query may read besides llmeter's, with their own labels (target labels come on top). */
export const STANDARD_METRICS: Readonly<Record<string, readonly string[]>> = {
  up: [],
  process_cpu_seconds_total: [],
  process_resident_memory_bytes: [],
  process_start_time_seconds: [],
  process_open_fds: [],
  nodejs_eventloop_lag_seconds: [],
  nodejs_heap_size_used_bytes: [],
  nodejs_version_info: ['version', 'major', 'minor', 'patch'],
};

/** The label set of a query's result, or `null` for a scalar or a string. */
export type LabelSet = ReadonlySet<string> | null;

// The labels of a series nothing defines: already reported, so no check of its labels reports again.
const UNKNOWN: ReadonlySet<string> = new Set();

/** The series llmeter exposes under `prefix`, each with the labels the contract gives it (user labels excluded). */
export function exposedSeries(prefix?: string): Map<string, ReadonlySet<string>> {
  const series = new Map<string, ReadonlySet<string>>();
  for (const key of METRIC_KEYS) {
    const name = metricName(key, prefix);
    const labels = new Set<string>(metricLabelNames(key));
    if (METRICS[key].type === 'histogram') {
      series.set(`${name}_bucket`, new Set([...labels, 'le']));
      series.set(`${name}_sum`, labels);
      series.set(`${name}_count`, labels);
    } else {
      series.set(name, labels);
    }
  }
  return series;
}

/** What a query may read, and the problems found reading it. */
export class ContractScope {
  /** Problems found so far, each with where it was found. */
  readonly problems: string[] = [];
  private readonly exposed = exposedSeries();
  private readonly recorded = new Map<string, ReadonlySet<string>>();

  /** Labels of a series a query may select; undefined for a name nothing defines. */
  labelsOf(name: string): ReadonlySet<string> | undefined {
    const exposed = this.exposed.get(name);
    if (exposed) return new Set([...exposed, ...EXAMPLE_USER_LABELS, ...TARGET_LABELS]);
    const recorded = this.recorded.get(name);
    if (recorded) return recorded;
    const standard = STANDARD_METRICS[name];
    if (standard) return new Set([...standard, ...TARGET_LABELS]);
    return undefined;
  }

  /** The contract's labels of a series llmeter exposes (what every such series carries); undefined for others. */
  contractLabelsOf(name: string): ReadonlySet<string> | undefined {
    return this.exposed.get(name);
  }

  /** Checks a recording rule's query and makes its name (with the labels its query leaves) selectable. */
  record(name: string, query: Expr, where: string): void {
    this.recorded.set(name, this.check(query, where) ?? new Set());
  }

  /** Checks a query; returns its result's labels. */
  check(query: Expr, where: string): LabelSet {
    return this.labels(query, where);
  }

  /** Records a problem. */
  report(where: string, message: string): void {
    this.problems.push(`${where}: ${message}`);
  }

  /** Checks the matchers of a selector: each label must be in `labels`, each fixed-valued label's value known. */
  checkMatchers(name: string, matchers: readonly Matcher[], labels: ReadonlySet<string>, where: string): void {
    for (const matcher of matchers) {
      if (matcher.label === '__name__') continue;
      if (!labels.has(matcher.label)) {
        this.report(where, `label "${matcher.label}" is not on ${name}`);
        continue;
      }
      const values = (LABEL_VALUES as Readonly<Record<string, readonly string[]>>)[matcher.label];
      if (values && (matcher.op === '=' || matcher.op === '!=') && !values.includes(matcher.value)) {
        this.report(where, `${matcher.label}="${matcher.value}" is not a value of the contract (${values.join(', ')})`);
      }
    }
  }

  private labels(expr: Expr, where: string): LabelSet {
    switch (expr.kind) {
      case 'number':
      case 'string':
        return null;
      case 'unary':
        return this.labels(expr.expr, where);
      case 'selector': {
        const name = expr.name ?? expr.matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
        if (name === undefined) {
          this.report(where, 'a selector without a metric name');
          return UNKNOWN;
        }
        const labels = this.labelsOf(name);
        if (!labels) {
          this.report(where, `metric "${name}" is not defined by the contract nor by a recording rule`);
          return UNKNOWN;
        }
        this.checkMatchers(name, expr.matchers, labels, where);
        return labels;
      }
      case 'call':
        return this.call(expr.func, expr.args, where);
      case 'aggregate': {
        const args = expr.args.map((arg) => this.labels(arg, where));
        const input = args[args.length - 1] ?? new Set<string>();
        if (expr.grouping === undefined) return new Set();
        if (input === UNKNOWN && expr.grouping.without) return UNKNOWN;
        this.need(expr.grouping.labels, input, `${expr.op} ${expr.grouping.without ? 'without' : 'by'}`, where);
        const grouping = new Set(expr.grouping.labels);
        const kept = expr.grouping.without ? new Set([...input].filter((label) => !grouping.has(label))) : grouping;
        // count_values adds the label its first argument names.
        const first = expr.args[0];
        if (expr.op === 'count_values' && first?.kind === 'string') return new Set([...kept, first.value]);
        return kept;
      }
      case 'binary': {
        const left = this.labels(expr.left, where);
        const right = this.labels(expr.right, where);
        if (left === null) return right;
        if (right === null) return left;
        if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
        const matching = expr.matching;
        if (matching) {
          if (matching.on) {
            this.need(matching.labels, left, 'on (left side)', where);
            this.need(matching.labels, right, 'on (right side)', where);
          } else {
            const either = new Set([...left, ...right]);
            this.need(matching.labels, either, 'ignoring', where);
          }
          if (matching.group) {
            const one = matching.group.side === 'left' ? right : left;
            this.need(matching.group.labels, one, `group_${matching.group.side}`, where);
            const many = matching.group.side === 'left' ? left : right;
            return new Set([...many, ...matching.group.labels]);
          }
        }
        if (expr.op === 'or') return new Set([...left, ...right]);
        if (expr.op === 'and' || expr.op === 'unless') return left;
        if (matching?.on) return new Set(matching.labels);
        if (matching) return new Set([...left].filter((label) => !matching.labels.includes(label)));
        return left;
      }
    }
  }

  private call(func: string, args: readonly Expr[], where: string): LabelSet {
    const labels = args.map((arg) => this.labels(arg, where));
    const vectors = labels.filter((set): set is ReadonlySet<string> => set !== null);
    if (vectors.includes(UNKNOWN)) return UNKNOWN;
    const union = new Set(vectors.flatMap((set) => [...set]));
    switch (func) {
      case 'time':
      case 'scalar':
      case 'pi':
        return null;
      case 'vector':
        return new Set();
      case 'histogram_quantile':
        if (!union.has('le')) this.report(where, 'histogram_quantile over series without an "le" label');
        union.delete('le');
        return union;
      case 'label_replace': {
        const [, destination, , source] = args;
        if (source?.kind === 'string' && source.value !== '') this.need([source.value], union, func, where);
        if (destination?.kind === 'string') union.add(destination.value);
        return union;
      }
      default:
        return union;
    }
  }

  private need(names: readonly string[], labels: ReadonlySet<string>, clause: string, where: string): void {
    if (labels === UNKNOWN) return;
    for (const name of names) {
      if (!labels.has(name)) {
        this.report(where, `${clause} (${name}): "${name}" is not a label of the series it applies to`);
      }
    }
  }
}

/** Labels a template prints: `{{model}}` in a Grafana legend, `{{ $labels.model }}` in an alert annotation. */
export function templateLabels(template: string, style: 'legend' | 'annotation'): string[] {
  const pattern = style === 'legend' ? /\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g : /\$labels\.([a-zA-Z_]\w*)/g;
  return [...template.matchAll(pattern)].map((match) => match[1] ?? '');
}
