import { type CallEnd, callOutcome, type InFlightCall, type Operation } from '@llmeter/core';
import { callLabels } from './call-labels.js';
import type { MeasurementContext } from './measurement-context.js';

/** What a measured call of an instrumented client is, as its meter records it. */
export interface CallStart {
  operation: Operation;
  model: string;
  stream: boolean;
  startedAt: number;
}

/**
 * Starts recording a call of an instrumented client, with its labels (`instrument()`'s, under the enclosing
 * `withLabels` scopes). `undefined` when the meter failed (reported): the call then goes on unmeasured.
 */
export function startCall(context: MeasurementContext, start: CallStart): InFlightCall | undefined {
  try {
    return context.meter.start({
      provider: context.provider,
      operation: start.operation,
      model: start.model,
      stream: start.stream,
      labels: callLabels(context.staticLabels),
      startedAt: start.startedAt,
    });
  } catch (error) {
    context.report(error);
    return undefined;
  }
}

/** Ends a call as `callOutcome` decides from how it ended (`end`), reporting what goes wrong in deciding. */
export function endCall(call: InFlightCall, report: (error: unknown) => void, end: CallEnd): void {
  call.end(callOutcome({ ...end, onError: report }));
}
