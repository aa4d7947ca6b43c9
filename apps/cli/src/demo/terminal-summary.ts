import type { MetricsSummary, ModelSummary } from '@llmeter/core';
// The dashboard's formatters: a cost or a latency reads the same in the terminal as on the page.
import { formatCount, formatRatio, formatSeconds, formatUsd } from '@llmeter/dashboard/format';

/** What the summary shows besides the numbers. */
export interface SummaryHeader {
  /** First line, e.g. `llmeter demo: 12 s, 5 requests/s`. */
  title: string;
  /** Labelled URLs, e.g. `['metrics', 'http://…/metrics']`. */
  links: readonly (readonly [string, string])[];
}

const COLUMNS = ['model', 'provider', 'requests', 'errors', 'p95 latency', 'p95 TTFT', 'tokens', 'cost'] as const;
// Left-aligned columns; the others are numbers, right-aligned.
const TEXT_COLUMNS = 2;

/**
 * The per-model table: requests, error %, p95 latency, p95 TTFT, tokens (input + output), cost, and a total
 * line. At most `maxRows` models are listed (the most expensive); the rest are counted on one line.
 */
export function renderSummaryTable(summary: MetricsSummary, maxRows = Number.POSITIVE_INFINITY): string[] {
  const shown = summary.models.slice(0, Math.max(0, maxRows));
  const rows: string[][] = shown.map((model) => row(model, model.model, model.provider));
  const hidden = summary.models.length - shown.length;
  const footer: string[][] = [];
  if (hidden > 0) footer.push([`… ${hidden} more`, '', '', '', '', '', '', '']);
  footer.push(row(summary.total, 'total', ''));
  const all = [[...COLUMNS], ...rows, ...footer];
  const widths = COLUMNS.map((_, column) => Math.max(...all.map((cells) => (cells[column] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column < TEXT_COLUMNS ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  return [
    format(all[0] ?? []),
    ...rows.map(format),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...footer.map(format),
  ];
}

/** The whole summary: title, table, then the links. */
export function renderSummary(summary: MetricsSummary, header: SummaryHeader, maxRows?: number): string[] {
  const labelWidth = Math.max(0, ...header.links.map(([label]) => label.length));
  return [
    header.title,
    '',
    ...(summary.models.length === 0 ? ['(no calls finished yet)'] : renderSummaryTable(summary, maxRows)),
    '',
    ...header.links.map(([label, url]) => `${`${label}:`.padEnd(labelWidth + 1)} ${url}`),
  ];
}

/** One line for logs and pipes: `[12 s] 143 requests, 2.80% errors, 98,765 tokens, $0.012345 total cost`. */
export function renderSummaryLine(summary: MetricsSummary, elapsedSeconds: number): string {
  const total = summary.total;
  return (
    `[${Math.round(elapsedSeconds)} s] ${formatCount(total.requests)} requests, ${formatRatio(total.errorRatio)} errors, ` +
    `${formatCount(total.tokens.input + total.tokens.output)} tokens, ${formatUsd(total.costUsd)} total cost`
  );
}

function row(model: ModelSummary, name: string, provider: string): string[] {
  return [
    name,
    provider,
    formatCount(model.requests),
    formatRatio(model.errorRatio),
    formatSeconds(model.latency.p95),
    formatSeconds(model.timeToFirstToken.p95),
    formatCount(model.tokens.input + model.tokens.output),
    formatUsd(model.costUsd),
  ];
}

/** Where the live summary is written; a TTY gets in-place refreshes. */
export interface SummaryOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  rows?: number;
}

/**
 * Writes a summary again and again. On a TTY each refresh moves the cursor back up over the previous one and
 * clears it, so the table updates in place; elsewhere (a pipe, a log file) each refresh is one plain line, and
 * the full table is written once at the end.
 */
export class LiveSummary {
  private linesOnScreen = 0;

  constructor(private readonly output: SummaryOutput) {}

  /** Whether refreshes happen in place. */
  get interactive(): boolean {
    return this.output.isTTY === true;
  }

  /** Shows the current state. */
  refresh(summary: MetricsSummary, header: SummaryHeader, elapsedSeconds: number): void {
    if (!this.interactive) {
      this.output.write(`${renderSummaryLine(summary, elapsedSeconds)}\n`);
      return;
    }
    // Keep the table within the terminal, or the cursor-up would not reach its first line.
    const maxRows = Math.max(3, (this.output.rows ?? 40) - 12);
    this.replace(renderSummary(summary, header, maxRows));
  }

  /** Shows the final state: the whole table, left on screen. */
  finish(summary: MetricsSummary, header: SummaryHeader): void {
    const lines = renderSummary(summary, header);
    if (this.interactive) this.replace(lines);
    else this.output.write(`${lines.join('\n')}\n`);
    this.linesOnScreen = 0;
  }

  private replace(lines: readonly string[]): void {
    // ESC[nF: cursor to the start of the line n lines up; ESC[0J: clear from there to the end of the screen.
    const rewind = this.linesOnScreen > 0 ? `\u001b[${this.linesOnScreen}F\u001b[0J` : '';
    this.output.write(`${rewind}${lines.join('\n')}\n`);
    this.linesOnScreen = lines.length;
  }
}
