import type { MeasuredMethodSpec } from './measured-method-spec.js';

/**
 * The `@anthropic-ai/sdk` client methods that make a model call. `messages.stream()` (and `messages.parse()`)
 * call `messages.create()` on the same resource, so their requests are measured here, once.
 */
export const ANTHROPIC_METHODS: readonly MeasuredMethodSpec[] = [
  { path: ['messages'], method: 'create', operation: 'chat' },
];
