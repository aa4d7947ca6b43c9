/**
 * The one normalized shape of a finished LLM call. Every front end (the SDK wrapper, the proxy) turns a call
 * into a {@link CallRecord}; only the recorder ({@link Meter}) turns records into metrics.
 */

import type { ErrorType, Operation } from './metric-contract.js';

// The label value types live in the metric contract; re-exported here for the modules that read them with a record.
export type { ErrorType, Operation } from './metric-contract.js';

/**
 * Token counts of one call, normalized across providers.
 *
 * `input` counts every prompt token, cached and cache-written ones included; `output` counts every completion
 * token, reasoning included. `cachedInput` and `cacheWrite` are parts of `input`, `reasoning` is part of
 * `output`, so sums over `type` never double-count.
 */
export interface Usage {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  reasoning: number;
}

/** A {@link Usage} of zeros, for building up counts. */
export function emptyUsage(): Usage {
  return { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}

/**
 * Where a call's token counts came from: the provider's own report, a local count (tiktoken) because the
 * provider sent none, or nowhere (a call that failed before any usage could be known).
 */
export type UsageSource = 'reported' | 'estimated' | 'none';

/** User labels: label name to value. Names must be declared on the meter (`labelNames`). */
export type Labels = Readonly<Record<string, string>>;

/** One finished call. Times are milliseconds on the `performance.now()` clock. */
export interface CallRecord {
  /** `openai`, `anthropic`, `azure`, an upstream's name, or an OpenAI-compatible server's host. */
  provider: string;
  operation: Operation;
  /** The model the request named (the `model` label). Empty when the request named none. */
  model: string;
  /** The model the provider said answered (e.g. a dated snapshot); used for pricing when known. */
  responseModel?: string | undefined;
  /** Whether the call was a stream; only streams have time to first token. */
  stream: boolean;
  startedAt: number;
  /** When the first content arrived (streams only). */
  firstTokenAt?: number | undefined;
  endedAt: number;
  usage?: Usage | undefined;
  usageSource: UsageSource;
  /** Set when the call failed; absent for a successful call. */
  errorType?: ErrorType | undefined;
  labels?: Labels | undefined;
}
