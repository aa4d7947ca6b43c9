import type { CallOutcome, ErrorType, Labels, Operation } from '@llmeter/core';
import { type Logger, pino } from 'pino';

/** What one proxied call's log line says. Never headers, bodies, or query strings (they can hold API keys). */
export interface CallLogFields {
  upstream: string;
  method: string;
  /** The API path, without query string. */
  path: string;
  model: string;
  operation: Operation;
  stream: boolean;
  /** The upstream's status, or the proxy's own (502, 504) when the upstream gave none. */
  status: number | undefined;
  errorType: ErrorType | undefined;
  startedAt: number;
  firstTokenAt: number | undefined;
  outcome: CallOutcome;
  labels: Labels | undefined;
}

/**
 * The most characters of one logged value (model, path, label value…). Clients and upstreams choose these values:
 * a 40 MB `model` must not become a 40 MB log line.
 */
export const LOGGED_VALUE_MAX_CHARS = 256;

/**
 * `value` as a log line carries it: whole up to {@link LOGGED_VALUE_MAX_CHARS} characters, else its start and a
 * marker saying how much was left out (never half of a character made of two UTF-16 units).
 * @example
 * ```ts
 * boundedForLog('x'.repeat(300)); // 256 x's, then '…[+44 chars]'
 * ```
 */
export function boundedForLog(value: string): string {
  if (value.length <= LOGGED_VALUE_MAX_CHARS) return value;
  let end = LOGGED_VALUE_MAX_CHARS;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate: its pair is past the cut
  return `${value.slice(0, end)}…[+${value.length - end} chars]`;
}

function boundedLabels(labels: Labels | undefined): Labels | undefined {
  if (labels === undefined) return undefined;
  const bounded: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) bounded[boundedForLog(name)] = boundedForLog(value);
  return bounded;
}

/**
 * Writes the one structured line per call: `info` for successes, `warn` for failures. Every string from a client
 * or an upstream is cut to {@link LOGGED_VALUE_MAX_CHARS} characters.
 *
 * With `writeLine` (the proxy's own logger, whose lines are pino's default format), the line is built here as
 * text and handed to the logger's destination: the same JSON, field for field and in the same order, as
 * `logger[level](fields, 'llm call')` writes, without pino's generic object walk, which cost about a tenth of the
 * proxy's CPU per call. Any other logger (an embedding program's, with its own formatters) is called as usual.
 *
 * @example
 * ```ts
 * logCall(pino(), fields); // {"level":30,"time":…,"upstream":"openai",…,"msg":"llm call"}
 * ```
 */
export function logCall(logger: Logger, fields: CallLogFields, writeLine?: (line: string) => void): void {
  const level = fields.errorType === undefined ? 'info' : 'warn';
  if (!logger.isLevelEnabled(level)) return;
  if (writeLine !== undefined) {
    writeLine(callLine(logger, level, fields));
    return;
  }
  const { outcome } = fields;
  const endedAt = outcome.endedAt ?? performance.now();
  const line: Record<string, unknown> = {
    upstream: fields.upstream,
    method: boundedForLog(fields.method),
    path: boundedForLog(fields.path),
    model: fields.model ? boundedForLog(fields.model) : undefined,
    operation: fields.operation,
    stream: fields.stream,
    status: fields.status,
    error_type: fields.errorType,
    duration_ms: round(endedAt - fields.startedAt),
    ttft_ms: fields.firstTokenAt === undefined ? undefined : round(fields.firstTokenAt - fields.startedAt),
    response_model: outcome.responseModel === undefined ? undefined : boundedForLog(outcome.responseModel),
    labels: boundedLabels(fields.labels),
  };
  if (outcome.usage) {
    line.input_tokens = outcome.usage.input;
    line.output_tokens = outcome.usage.output;
    line.usage_source = outcome.usageSource ?? 'reported';
  }
  logger[level](line, 'llm call');
}

/** What pino keeps on a logger that a line begins with: its time function and its bindings (pid, hostname, name). */
interface PinoLineParts {
  [pino.symbols.timeSym]: () => string;
  [pino.symbols.chindingsSym]: string;
}

/**
 * The line pino's default format writes for `logger[level](fields, 'llm call')` (its level as a number, its
 * time, its bindings, the fields without the undefined ones, the message), ended by a newline.
 */
export function callLine(logger: Logger, level: 'info' | 'warn', fields: CallLogFields): string {
  const parts = logger as unknown as PinoLineParts;
  const { outcome } = fields;
  const endedAt = outcome.endedAt ?? performance.now();
  let line = `{"level":${logger.levels.values[level]}${parts[pino.symbols.timeSym]()}${parts[pino.symbols.chindingsSym]}`;
  line += `,"upstream":${JSON.stringify(fields.upstream)},"method":${text(fields.method)},"path":${text(fields.path)}`;
  if (fields.model) line += `,"model":${text(fields.model)}`;
  line += `,"operation":${JSON.stringify(fields.operation)},"stream":${fields.stream}`;
  if (fields.status !== undefined) line += `,"status":${number(fields.status)}`;
  if (fields.errorType !== undefined) line += `,"error_type":${JSON.stringify(fields.errorType)}`;
  line += `,"duration_ms":${number(round(endedAt - fields.startedAt))}`;
  if (fields.firstTokenAt !== undefined) line += `,"ttft_ms":${number(round(fields.firstTokenAt - fields.startedAt))}`;
  if (outcome.responseModel !== undefined) line += `,"response_model":${text(outcome.responseModel)}`;
  if (fields.labels !== undefined) line += `,"labels":${JSON.stringify(boundedLabels(fields.labels))}`;
  if (outcome.usage) {
    line += `,"input_tokens":${number(outcome.usage.input)},"output_tokens":${number(outcome.usage.output)}`;
    line += `,"usage_source":${JSON.stringify(outcome.usageSource ?? 'reported')}`;
  }
  return `${line},"msg":"llm call"}\n`;
}

/** A client's or an upstream's string as a bounded JSON string. */
function text(value: string): string {
  return JSON.stringify(boundedForLog(value));
}

/** A number as pino writes it: `null` when not finite. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
