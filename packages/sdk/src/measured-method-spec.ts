import type { Operation } from '@llmeter/core';

/** One SDK method llmeter measures. */
export interface MeasuredMethodSpec {
  /** Where the resource sits on the client: `['chat', 'completions']`. */
  readonly path: readonly string[];
  /** The method on that resource. */
  readonly method: string;
  /** The operation it makes; with the client's wire format, it tells whether a stream reports usage unasked. */
  readonly operation: Operation;
  /**
   * The method acts on one stored OpenAI response named by its first argument (`responses.retrieve(id, query)`,
   * `responses.cancel(id)`): a poll, resume or cancel, whose usage counts once per response. Its request params
   * are then the argument at {@link MeasuredMethodSpec.paramsArgument}, if any.
   */
  readonly responseIdArgument?: boolean;
  /** Where the request params are among the arguments; default 0 (or none, with `responseIdArgument`). */
  readonly paramsArgument?: number;
}
