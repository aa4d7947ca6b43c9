import { errorTypeFromError, errorTypeFromStatus } from './error-type.js';
import { estimateUsage } from './estimation/index.js';
import { field, isRecord } from './json-shape.js';
import type { CallOutcome } from './meter.js';
import type { ErrorType, Operation } from './record.js';
import type { ResponseLedger } from './response-ledger.js';
import type { ResponseSummary, StreamSummary, WireFormat } from './wire/wire-format.js';

/**
 * How the transport of a call ended, as its front end saw it:
 * - `complete`: the response (or the stream) was read to its end, or the call ended at its response without a
 *   body to read.
 * - `aborted`: the caller stopped: `break`, `return()`, `controller.abort()`, a client that disconnected.
 * - `failed`: sending or reading failed: no response (refused, reset, DNS, timeout), a connection cut while the
 *   body streamed, an error the SDK threw (its API error for a failure status, its error for an in-stream error
 *   event).
 */
export type TransportEnding = 'complete' | 'aborted' | 'failed';

/** A stream a front end followed event by event, and what is needed to count its tokens locally. */
export interface FollowedStream {
  /** What the provider's events said: finished, failed, usage, the output seen. */
  summary: StreamSummary;
  format: WireFormat;
  operation: Operation;
  /** The request's model, to count tokens with when neither the provider nor the stream named one. */
  model: string;
  /** The parsed request body, whose prompt is counted when the provider reported no usage. */
  requestBody: unknown;
}

/** What {@link callOutcome} needs to know about a call that ended. Every front end fills in what it saw. */
export interface CallEnd {
  transport: TransportEnding;
  /**
   * The HTTP status of the provider's response; `undefined` when none arrived, or when the front end sees the
   * status only through `error` (an SDK's API error carries it).
   */
  status?: number | undefined;
  /** The error that ended the call, when there was one: an SDK's error, a socket error, a timeout. */
  error?: unknown;
  /** The stream the front end followed, for a streamed response (never for a failure status). */
  stream?: FollowedStream | undefined;
  /** What a complete JSON body said, for a non-streamed response that was read. */
  response?: ResponseSummary | undefined;
  /** `performance.now()` when the call ended; default: when the meter records it. */
  endedAt?: number | undefined;
  /** Told about a local token count that failed (the call is then recorded without usage). */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * The ledger of OpenAI responses already counted ({@link responseLedgerFor} the meter's registry). With it, a
   * response seen several times (created, polled, resumed, cancelled) has its usage counted once; without it,
   * every view counts what it shows.
   */
  ledger?: ResponseLedger | undefined;
  /** The response id the request named (`GET /v1/responses/{id}`, `responses.retrieve(id)`, a cancel). */
  responseId?: string | undefined;
  /** The call's `model` label, remembered with a response seen unfinished so that its later views share it. */
  model?: string | undefined;
  /** The call's `provider` label, remembered with a response seen unfinished (the pending gauge's `provider`). */
  provider?: string | undefined;
}

/**
 * How a call ended, decided in this one place for every front end: the SDK wrapper and the proxy describe what
 * they saw ({@link CallEnd}) and record what this returns, so the same bytes give the same record through either.
 *
 * `error_type`, by the first rule that applies:
 * 1. A failure status (400 or above) from the provider: its `error_type` (429 → `rate_limit`, …), whatever the
 *    transport did afterwards.
 * 2. A stream in which the provider reported an error (Anthropic `error`, an OpenAI chunk with `error`,
 *    `response.failed`, or the SDK error thrown at such an event): `stream_error`, even when the caller hung up
 *    right after it, and even after every choice finished.
 * 3. A stream the provider finished (its end marker — `[DONE]`, `message_stop`, `response.completed` /
 *    `incomplete` — or every choice of an OpenAI chunk stream having a `finish_reason`): no error, whatever
 *    happened next. A caller that stops after the provider's own end (a `break` on `message_stop`, a client that
 *    hangs up after `[DONE]`) or a connection that drops before a trailing usage chunk lost no answer.
 * 4. The caller stopped (`aborted`, or an error that is an abort): `aborted`.
 * 5. An error that is a timeout: `timeout` (an upstream that went silent mid-stream too).
 * 6. Any other stream: `stream_error`. It ended without the provider's end marker: its connection was cut, an
 *    SDK threw while reading it (the `openai` and `@anthropic-ai/sdk` clients throw on an error event before
 *    handing it out), or it just stopped, cleanly, too early.
 * 7. Any other failure: the error's type ({@link errorTypeFromError}: an SDK error's status, network codes), or
 *    `network` when the front end saw the connection fail without an error to tell more.
 * 8. Otherwise: no error.
 *
 * OpenAI Responses seen more than once (background responses polled or resumed): with {@link CallEnd.ledger},
 * a view of a response already counted, or of an unfinished one that runs on by itself, is `deferred` (no
 * tokens, no estimate, not usage missing); the first view that shows it final counts its usage.
 *
 * Usage: the provider's own report when it sent one (`reported`), even for a stream that failed after it; else,
 * for a stream, a local count of the prompt and of the output seen so far (`estimated`), however it ended, unless
 * it was refused for billing before showing anything (`insufficient_quota`: nothing billed, nothing estimated);
 * else none. A failure status carries no usage.
 *
 * What a front end cannot see, it cannot tell: the `openai` SDK swallows `[DONE]`, so through the SDK a stream
 * whose choices never got a `finish_reason` counts as unfinished (`stream_error`) even when the server ended it
 * with `[DONE]`, which the proxy sees (no error there). OpenAI, Azure and the common compatible servers always
 * send a `finish_reason`.
 *
 * @example
 * ```ts
 * import { callOutcome, createMeter } from '@llmeter/core';
 * const meter = createMeter();
 * const call = meter.start({ provider: 'openai', operation: 'chat', model: 'gpt-4o-mini', stream: false });
 * call.end(callOutcome({ transport: 'complete', status: 429 })); // error_type="rate_limit"
 * ```
 */
export function callOutcome(end: CallEnd): CallOutcome {
  const outcome: CallOutcome = { errorType: errorTypeOf(end) };
  if (end.endedAt !== undefined) outcome.endedAt = end.endedAt;
  if (end.status !== undefined && end.status >= 400) return outcome;
  const summary: ResponseSummary | undefined = end.stream?.summary ?? end.response;
  if (summary === undefined) return outcome;
  outcome.responseModel = summary.responseModel;
  if (countedElsewhere(end, summary)) {
    outcome.usageSource = 'deferred';
    return outcome;
  }
  if (summary.usage) {
    outcome.usage = summary.usage;
    outcome.usageSource = 'reported';
  } else if (end.stream !== undefined && !refusedForBilling(end)) {
    try {
      outcome.usage = estimatedUsage(end.stream);
      outcome.usageSource = 'estimated';
    } catch (error) {
      end.onError?.(error);
    }
  }
  return outcome;
}

/**
 * Whether this view of an OpenAI response leaves its usage to another call ({@link ResponseLedger}'s policy):
 * a response seen unfinished that runs on by itself (created with `background: true`, or any response the call
 * retrieved by id) is counted when a later view first shows it final, not estimated now, even when its stream
 * stopped being read; a response already counted is not counted again.
 */
function countedElsewhere(end: CallEnd, summary: ResponseSummary): boolean {
  const ledger = end.ledger;
  const state = summary.responseState;
  const id = state?.id ?? end.responseId;
  if (ledger === undefined || id === undefined) return false;
  // A poll of a response not seen created names no model; the response does (`model`), and labels it from then on.
  const model = end.model || summary.responseModel || '';
  const provider = end.provider ?? '';
  if (state?.final === true || summary.usage !== undefined) return !ledger.settle(id, model, provider);
  if (state?.background !== true && end.responseId === undefined) return false;
  ledger.expect(id, model, provider);
  return true;
}

function errorTypeOf(end: CallEnd): ErrorType | undefined {
  const { status, stream, error } = end;
  if (status !== undefined && status >= 400) return errorTypeFromStatus(status);
  if (stream?.summary.failed || (stream !== undefined && thrownAtErrorEvent(error))) return 'stream_error';
  if (stream?.summary.finished) return undefined;
  const thrown = error === undefined ? undefined : errorTypeFromError(error);
  if (end.transport === 'aborted' || thrown === 'aborted') return 'aborted';
  if (thrown === 'timeout') return 'timeout';
  if (stream !== undefined) return 'stream_error';
  if (end.transport === 'failed') return thrown ?? 'network';
  return undefined;
}

/**
 * Whether an SDK threw at an error event of the stream, which it does before handing the event out: the `openai` and
 * `@anthropic-ai/sdk` clients throw an `APIError` with no status whose `error` is the event's error object (an
 * `APIConnectionError`, a timeout or an abort carries none). The provider reported an error, so it is one even
 * after every choice finished (OpenRouter sends its `error`, with the usage, in a last chunk after them).
 */
function thrownAtErrorEvent(error: unknown): boolean {
  return isRecord(error) && error.status === undefined && isRecord(error.error);
}

/**
 * Whether a stream that showed nothing was refused for billing (OpenAI's `insufficient_quota`): the provider billed
 * nothing, so nothing is estimated. The `openai` SDK throws at the stream's `error` event, before the
 * `response.failed` (with `"usage": null`) that the proxy sees and reads as a report of zero usage.
 */
function refusedForBilling(end: CallEnd): boolean {
  const { error, stream } = end;
  if (stream === undefined || stream.summary.outputLength() > 0 || !isRecord(error)) return false;
  return error.code === 'insufficient_quota' || field(error.error, 'code') === 'insufficient_quota';
}

/** A local count: the request's prompt, and the output the stream carried so far. */
function estimatedUsage(stream: FollowedStream): NonNullable<CallOutcome['usage']> {
  const { summary } = stream;
  return estimateUsage(
    summary.responseModel || stream.model,
    stream.format.requestText(stream.operation, stream.requestBody),
    summary.outputText(),
    summary.outputLength(),
  );
}
