import { estimateUsage } from './estimation/index.js';
import type { CallOutcome } from './meter.js';
import type { Operation } from './record.js';
import type { StreamSummary, WireFormat } from './wire/wire-format.js';

/** How a stream ended, as its consumer saw it. */
export type StreamEnding =
  /** Read to its end (the provider may still have cut it short: the summary tells). */
  | 'complete'
  /** The caller stopped early: `break`, `abort()`, a client that disconnected. */
  | 'aborted'
  /** Reading failed: a socket error, a parse error in the SDK. */
  | 'error';

/** What {@link streamOutcome} needs to know about a finished stream. */
export interface StreamEnd {
  summary: StreamSummary;
  ending: StreamEnding;
  format: WireFormat;
  operation: Operation;
  /** The request's model, to count tokens with when the provider reported none. */
  model: string;
  /** The parsed request body, whose prompt is counted when the provider reported no usage. */
  requestBody: unknown;
  endedAt?: number;
}

/**
 * The outcome of a stream, the same for every front end: the provider's usage when it sent one, else a local
 * count of the prompt and of the output seen so far (marked `estimated`); `aborted` when the caller stopped,
 * `stream_error` when the provider reported an error or the stream stopped before its end.
 */
export function streamOutcome(end: StreamEnd): CallOutcome {
  const { summary } = end;
  const errorType =
    end.ending === 'aborted'
      ? 'aborted'
      : summary.failed || end.ending === 'error' || !summary.finished
        ? 'stream_error'
        : undefined;
  const outcome: CallOutcome = { responseModel: summary.responseModel, errorType };
  if (end.endedAt !== undefined) outcome.endedAt = end.endedAt;
  if (summary.usage) {
    outcome.usage = summary.usage;
    outcome.usageSource = 'reported';
  } else {
    outcome.usage = estimateUsage(
      summary.responseModel || end.model,
      end.format.requestText(end.operation, end.requestBody),
      summary.outputText(),
      summary.outputLength(),
    );
    outcome.usageSource = 'estimated';
  }
  return outcome;
}
