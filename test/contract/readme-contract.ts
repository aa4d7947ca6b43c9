import {
  COMMON_LABEL_NAMES,
  DEFAULT_BUCKETS,
  DEFAULT_PREFIX,
  ERROR_TYPES,
  METRIC_KEYS,
  METRICS,
  metricName,
  OPERATIONS,
  OVERFLOW_LABEL_VALUE,
  STATUSES,
  TOKEN_TYPES,
  UNKNOWN_LABEL_VALUE,
} from '@llmeter/core';

/** One row of the README's metric table. */
export interface DocumentedMetric {
  name: string;
  type: string;
  labels: string[];
}

/** The README's "The metric contract" section: from its heading to the next `## ` heading. */
export function contractSection(readme: string): string {
  const start = readme.indexOf('\n## The metric contract\n');
  if (start < 0) throw new Error('README.md has no "## The metric contract" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');

/** The rows of the Markdown table whose header's first cell is `header`, as trimmed cells. */
function tableRows(section: string, header: string): string[][] {
  const lines = section.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith('|') && line.split('|')[1]?.trim() === header);
  if (start < 0) throw new Error(`no table headed "${header}"`);
  const rows: string[][] = [];
  // Past the header and its |---| line, to the first line that is not a row.
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The metric table: `| metric | type | extra labels | meaning |`, names and labels in backticks. */
export function documentedMetrics(section: string): DocumentedMetric[] {
  return tableRows(section, 'metric').map(([name = '', type = '', labels = '']) => {
    const [metric] = backticked(name);
    if (metric === undefined) throw new Error(`a metric table row without a metric name: ${name}`);
    return { name: metric, type: type.toLowerCase(), labels: backticked(labels) };
  });
}

/** The text of the bullet that starts with `` - `name`: `` (to the next bullet or blank line). */
function bullet(section: string, name: string): string {
  const match = new RegExp(`\\n- \`${name}\`[:,]([\\s\\S]*?)(?=\\n- |\\n\\n)`).exec(section);
  if (!match) throw new Error(`no bullet for \`${name}\``);
  return match[1] ?? '';
}

const same = (what: string, documented: readonly unknown[], contract: readonly unknown[]) =>
  JSON.stringify(documented) === JSON.stringify(contract)
    ? []
    : [`${what}: README says ${JSON.stringify(documented)}, the contract ${JSON.stringify(contract)}`];

/** Where the README's contract section and the contract disagree; empty when they agree. */
export function readmeDifferences(readme: string): string[] {
  const section = contractSection(readme);
  const byName = (a: DocumentedMetric, b: DocumentedMetric) => a.name.localeCompare(b.name);
  const documented = documentedMetrics(section).sort(byName);
  const contract = METRIC_KEYS.map((key) => ({
    name: metricName(key),
    type: METRICS[key].type,
    labels: [...METRICS[key].labels],
  })).sort(byName);
  const differences: string[] = [];
  for (const metric of contract) {
    const row = documented.find((one) => one.name === metric.name);
    if (!row) differences.push(`${metric.name} (${metric.type}) is not in the README's metric table`);
    else
      differences.push(
        ...same(`${metric.name}: type and extra labels`, [row.type, row.labels], [metric.type, metric.labels]),
      );
  }
  for (const row of documented) {
    if (!contract.some((metric) => metric.name === row.name)) {
      differences.push(`${row.name} is in the README's metric table but not in the contract`);
    }
  }

  const prefix = /default `([^`]+)`/.exec(section)?.[1];
  differences.push(...same('default prefix', [prefix], [DEFAULT_PREFIX]));
  const common = /Every metric has the labels ([\s\S]*?), plus your own labels/.exec(section)?.[1] ?? '';
  // Parenthesized remarks name values (`unknown`), not labels.
  differences.push(...same('common labels', backticked(common.replace(/\([^)]*\)/g, '')), COMMON_LABEL_NAMES));
  differences.push(
    ...same('value of a missing model', [/`([^`]+)` when it named none/.exec(common)?.[1]], [UNKNOWN_LABEL_VALUE]),
  );
  differences.push(...same('status values', backticked(bullet(section, 'status')), STATUSES));
  differences.push(...same('operation values', backticked(bullet(section, 'operation')), OPERATIONS));
  // The `type` bullet also names provider fields (`prompt_tokens`): every token type must be among its names, in order of first mention.
  const typeNames = backticked(bullet(section, 'type'));
  const tokenTypes: string[] = TOKEN_TYPES.map(([type]) => type);
  differences.push(
    ...same('token types', [...new Set(typeNames.filter((name) => tokenTypes.includes(name)))], tokenTypes),
  );
  differences.push(
    ...same(
      'error types',
      tableRows(section, '`error_type`').map(([type = '']) => backticked(type)[0]),
      ERROR_TYPES,
    ),
  );
  const buckets = /\n- Buckets \(seconds\)[^:]*:([\s\S]*?)(?=\n- |\n\n)/.exec(section)?.[1] ?? '';
  const lists = backticked(buckets).map((list) =>
    list
      .replace(/[[\]]/g, '')
      .split(',')
      .map((n) => n.trim()),
  );
  const [duration = [], timeToFirstToken = [], timePerOutputToken = []] = lists;
  // The duration list is abbreviated (`[0.01, 0.02, 0.04, … 81.92]`): its first three and last bounds are checked.
  const durationBounds = DEFAULT_BUCKETS.duration.map(String);
  differences.push(
    ...same(
      'duration buckets (first three, last)',
      [...duration.slice(0, 3), duration.at(-1)?.replace('… ', '')],
      [...durationBounds.slice(0, 3), durationBounds.at(-1)],
    ),
  );
  differences.push(
    ...same('time to first token buckets', timeToFirstToken, DEFAULT_BUCKETS.timeToFirstToken.map(String)),
  );
  differences.push(
    ...same('time per output token buckets', timePerOutputToken, DEFAULT_BUCKETS.timePerOutputToken.map(String)),
  );
  differences.push(
    ...same('overflow value', [/the rest\s+become `([^`]+)`/.exec(section)?.[1]], [OVERFLOW_LABEL_VALUE]),
  );
  return differences;
}
