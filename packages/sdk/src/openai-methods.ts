import type { MeasuredMethodSpec } from './measured-method-spec.js';

/**
 * The `openai` client methods that make a model call. Helpers (`chat.completions.stream()` / `.parse()` /
 * `.runTools()`, `responses.stream()` / `.parse()`) call these through the client, so each of their requests is
 * measured here, once.
 */
export const OPENAI_METHODS: readonly MeasuredMethodSpec[] = [
  { path: ['chat', 'completions'], method: 'create', operation: 'chat', streamUsageOption: true },
  { path: ['responses'], method: 'create', operation: 'responses', streamUsageOption: false },
  { path: ['embeddings'], method: 'create', operation: 'embeddings', streamUsageOption: false },
  { path: ['completions'], method: 'create', operation: 'text_completion', streamUsageOption: true },
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether request params already ask for the final usage chunk of a stream. */
export function asksForStreamUsage(params: Record<string, unknown>): boolean {
  const options = params.stream_options;
  return isRecord(options) && options.include_usage === true;
}

/**
 * A copy of the params that asks for usage at the end of the stream. The caller's object (and its
 * `stream_options`) is left as it was: it may be reused for the next request or inspected afterwards.
 */
export function withStreamUsage(params: Record<string, unknown>): Record<string, unknown> {
  const options = params.stream_options;
  return {
    ...params,
    stream_options: isRecord(options) ? { ...options, include_usage: true } : { include_usage: true },
  };
}
