import { isRecord } from '@llmeter/core/wire';

/** Whether a value is a promise, or anything else `await` would wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isRecord(value) && typeof value.then === 'function';
}
