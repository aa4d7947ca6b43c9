import type { CallOutcome, ErrorType, Labels, Operation } from '@llmeter/core';
import type { Logger } from 'pino';

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
 */
export function logCall(logger: Logger, fields: CallLogFields): void {
  const level = fields.errorType === undefined ? 'info' : 'warn';
  if (!logger.isLevelEnabled(level)) return;
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

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
