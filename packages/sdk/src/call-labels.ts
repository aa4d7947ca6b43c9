import { AsyncLocalStorage } from 'node:async_hooks';
import type { Labels } from '@llmeter/core';

// One store for every instrumented client, so that `withLabels` around any code reaches every client in it.
const scopedLabels = new AsyncLocalStorage<Labels>();

/**
 * Runs `fn` with `labels` added to every LLM call made inside it, by any instrumented client, including calls
 * made later by promises and callbacks started inside (AsyncLocalStorage). Nested scopes merge; the inner value
 * of a label wins, and a scope's labels win over the static `labels` given to `instrument()`.
 *
 * Only label names the meter declares (`labels` and `labelNames` of `instrument()`) are kept, and each value
 * passes the meter's cardinality guard, so an unbounded value (a user id) cannot create unbounded series.
 *
 * @returns whatever `fn` returns.
 *
 * @example
 * ```ts
 * const reply = await withLabels({ team: 'ads' }, () => openai.chat.completions.create({ ... }));
 * ```
 */
export function withLabels<R>(labels: Labels, fn: () => R): R {
  const outer = scopedLabels.getStore();
  return scopedLabels.run(outer ? { ...outer, ...labels } : { ...labels }, fn);
}

/** The labels of a call starting now: the static ones, overridden by those of the enclosing `withLabels` scopes. */
export function callLabels(staticLabels: Labels | undefined): Labels | undefined {
  const scoped = scopedLabels.getStore();
  if (scoped === undefined) return staticLabels;
  return staticLabels === undefined ? scoped : { ...staticLabels, ...scoped };
}
