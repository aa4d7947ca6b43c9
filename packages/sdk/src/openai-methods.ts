import type { MeasuredMethodSpec } from './measured-method-spec.js';

/**
 * The `openai` client methods that make a model call. Helpers (`chat.completions.stream()` / `.parse()` /
 * `.runTools()`, `responses.stream()` / `.parse()`) call these through the client, so each of their requests is
 * measured here, once. `responses.retrieve` (a poll, or with `stream: true` a resume) and `responses.cancel`
 * carry a background response's usage, counted once per response id (core's `ResponseLedger`).
 */
export const OPENAI_METHODS: readonly MeasuredMethodSpec[] = [
  { path: ['chat', 'completions'], method: 'create', operation: 'chat' },
  { path: ['responses'], method: 'create', operation: 'responses' },
  { path: ['responses'], method: 'retrieve', operation: 'responses', responseIdArgument: true, paramsArgument: 1 },
  { path: ['responses'], method: 'cancel', operation: 'responses', responseIdArgument: true },
  { path: ['embeddings'], method: 'create', operation: 'embeddings' },
  { path: ['completions'], method: 'create', operation: 'text_completion' },
];
