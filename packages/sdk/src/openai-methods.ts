import type { MeasuredMethodSpec } from './measured-method-spec.js';

/**
 * The `openai` client methods that make a model call. Helpers (`chat.completions.stream()` / `.parse()` /
 * `.runTools()`, `responses.stream()` / `.parse()`) call these through the client, so each of their requests is
 * measured here, once. `responses.retrieve` (a poll, or with `stream: true` a resume) and `responses.cancel`
 * carry a background response's usage, counted once per response id (core's `ResponseLedger`).
 * `responses.compact` (`POST /v1/responses/compact`) is a billed model call whose `usage` has the Responses
 * shape: operation `responses`, as the proxy labels that path. A client too old to have a method is left as it is.
 */
export const OPENAI_METHODS: readonly MeasuredMethodSpec[] = [
  { path: ['chat', 'completions'], method: 'create', operation: 'chat' },
  { path: ['responses'], method: 'create', operation: 'responses' },
  { path: ['responses'], method: 'retrieve', operation: 'responses', responseIdArgument: true, paramsArgument: 1 },
  { path: ['responses'], method: 'cancel', operation: 'responses', responseIdArgument: true },
  { path: ['responses'], method: 'compact', operation: 'responses' },
  { path: ['embeddings'], method: 'create', operation: 'embeddings' },
  { path: ['completions'], method: 'create', operation: 'text_completion' },
];
