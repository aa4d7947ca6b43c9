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

/** Writes the one structured line per call: `info` for successes, `warn` for failures. */
export function logCall(logger: Logger, fields: CallLogFields): void {
  const level = fields.errorType === undefined ? 'info' : 'warn';
  if (!logger.isLevelEnabled(level)) return;
  const { outcome } = fields;
  const endedAt = outcome.endedAt ?? performance.now();
  const line: Record<string, unknown> = {
    upstream: fields.upstream,
    method: fields.method,
    path: fields.path,
    model: fields.model || undefined,
    operation: fields.operation,
    stream: fields.stream,
    status: fields.status,
    error_type: fields.errorType,
    duration_ms: round(endedAt - fields.startedAt),
    ttft_ms: fields.firstTokenAt === undefined ? undefined : round(fields.firstTokenAt - fields.startedAt),
    response_model: outcome.responseModel,
    labels: fields.labels,
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
