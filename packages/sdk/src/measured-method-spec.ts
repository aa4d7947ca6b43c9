import type { Operation } from '@llmeter/core';

/** One SDK method llmeter measures. */
export interface MeasuredMethodSpec {
  /** Where the resource sits on the client: `['chat', 'completions']`. */
  readonly path: readonly string[];
  /** The method on that resource. */
  readonly method: string;
  readonly operation: Operation;
  /**
   * Whether the endpoint takes `stream_options.include_usage`, which llmeter adds to a stream request that
   * did not ask for it (and hides the extra chunk it brings) so that streams report usage.
   */
  readonly streamUsageOption: boolean;
}
