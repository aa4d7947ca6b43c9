import type { MeasuredMethodSpec } from './measured-method-spec.js';

/**
 * The `openai` client methods that make a model call. Helpers (`chat.completions.stream()` / `.parse()` /
 * `.runTools()`, `responses.stream()` / `.parse()`) call these through the client, so each of their requests is
 * measured here, once.
 */
export const OPENAI_METHODS: readonly MeasuredMethodSpec[] = [
  { path: ['chat', 'completions'], method: 'create', operation: 'chat' },
  { path: ['responses'], method: 'create', operation: 'responses' },
  { path: ['embeddings'], method: 'create', operation: 'embeddings' },
  { path: ['completions'], method: 'create', operation: 'text_completion' },
];
