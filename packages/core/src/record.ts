/**
 * The one normalized shape of a finished LLM call. Every front end (the SDK wrapper, the proxy) turns a call
 * into a {@link CallRecord}; only the recorder ({@link Meter}) turns records into metrics.
 */

import type { ErrorType, Operation, ServerTool } from './metric-contract.js';

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
  /** Of `cacheWrite`: tokens written to a 1-hour cache (Anthropic), priced above 5-minute writes. */
  cacheWrite1h?: number | undefined;
  /** Of `input`: audio tokens, charged at the model's audio input price. */
  audioInput?: number | undefined;
  /** Of `output`: audio tokens, charged at the model's audio output price. */
  audioOutput?: number | undefined;
  /** Server-side tool calls the provider bills per call (web searches, fetches, code runs), by tool. */
  serverToolCalls?: ServerToolCalls | undefined;
  /**
   * The service tier the provider says served the call, when it is not the standard one: OpenAI's response
   * `service_tier` (`flex`, `priority`, `scale`; `default` and `auto` are standard and left out), Anthropic's
   * `usage.service_tier` (`priority`, `batch`; `standard` left out). Some tiers have prices of their own.
   */
  serviceTier?: string | undefined;
  /**
   * Sub-inferences the provider ran and billed at another model's price within this call (Anthropic's advisor
   * iterations). Their tokens are not in the counts above.
   */
  subCalls?: readonly SubCall[] | undefined;
}

/** Server-side tool calls by tool; an absent tool is 0. */
export type ServerToolCalls = Readonly<Partial<Record<ServerTool, number>>>;

/** A sub-inference billed at `model`'s price; see {@link Usage.subCalls}. */
export interface SubCall {
  readonly model: string;
  readonly usage: Usage;
}

/** A {@link Usage} of zeros, for building up counts. */
export function emptyUsage(): Usage {
  return { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}

/**
 * Where a call's token counts came from: the provider's own report, a local count (tiktoken) because the
 * provider sent none, nowhere (a call that failed before any usage could be known), or another call
 * (`deferred`: one view of an OpenAI Responses response whose usage is counted once, by the first call that
 * sees it finished; see `ResponseLedger`). A `deferred` call carries no tokens and is not usage missing.
 */
export type UsageSource = 'reported' | 'estimated' | 'none' | 'deferred';

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
