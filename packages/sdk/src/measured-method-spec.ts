import type { Operation } from '@llmeter/core';

/** One SDK method llmeter measures. */
export interface MeasuredMethodSpec {
  /** Where the resource sits on the client: `['chat', 'completions']`. */
  readonly path: readonly string[];
  /** The method on that resource. */
  readonly method: string;
  /** The operation it makes; with the client's wire format, it tells whether a stream reports usage unasked. */
  readonly operation: Operation;
}
