import type { InFlightCall, Operation, TransportEnding } from '@llmeter/core';
import { responseLedgerFor } from '@llmeter/core';
import { isRecord } from '@llmeter/core/wire';
import { FollowedIterator, HIDDEN, type IteratorReading } from './followed-iterator.js';
import { FollowedStream } from './followed-stream.js';
import type { MeasurementContext } from './measurement-context.js';

/** The parts of an SDK `Stream` llmeter relies on; `openai` v6/v7 and `@anthropic-ai/sdk` all have them. */
export interface SdkStream {
  /** Starts the one pass over the events; `[Symbol.asyncIterator]`, `tee()` and `toReadableStream()` call it. */
  iterator: () => AsyncIterator<unknown>;
  controller: AbortController;
}

/** Whether a parsed response is an SDK `Stream` llmeter can follow. */
export function isSdkStream(value: unknown): value is SdkStream {
  if (!isRecord(value) || typeof value.iterator !== 'function') return false;
  const controller = value.controller;
  return isRecord(controller) && isRecord(controller.signal);
}

// A stream the caller drops unread, or stops reading without `break` (an iterator left half-read), would
// otherwise stay in flight forever; once garbage-collected, it is recorded as aborted. One registration per
// stream: the SDK's `Stream` object, which every iterator over it holds (`for await` holds only the iterator),
// so it is collected only once no reader is left.
// The registration is taken back (by the measurement, its token) as soon as the stream is recorded: V8's
// young-generation collections keep a registered object alive, and all it holds (the response), for the slower
// old-generation ones (measured, making an object that holds 50 others: 0.55 µs; registered too, 6.4 µs;
// registered and taken back at once, 0.8 µs).
const droppedStreams = new FinalizationRegistry<FollowedStream>((stream) => stream.end('aborted'));

/** What following one SDK stream needs: its call, and whether llmeter asked for its usage chunk. */
export interface SdkStreamCall {
  call: InFlightCall;
  context: MeasurementContext;
  operation: Operation;
  model: string;
  /** The caller's request params, for counting the prompt when the provider reports no usage. */
  requestBody: unknown;
  /** llmeter asked for `include_usage` on the caller's behalf, so the chunks it adds are hidden. */
  hideUsageChunk: boolean;
  /** The OpenAI response a resume (`responses.retrieve(id, { stream: true })`) names. */
  responseId?: string | undefined;
}

/**
 * Follows one SDK stream (`openai`, `@anthropic-ai/sdk`). It keeps the SDK's own `Stream` object (so `tee()`,
 * `toReadableStream()`, `controller` and `instanceof` work as before) and replaces only its `iterator`, the one
 * function every way of reading the stream goes through, with one that passes each event through unchanged.
 *
 * The call is recorded once, at the first of: the last event read (`complete`), a read that fails (`failed`,
 * with the SDK's error), `break` / `return()` / `controller.abort()` before the end (`aborted`), an abort before
 * any read, or the stream being garbage-collected unread (`aborted`). The SDK swallows OpenAI's `[DONE]`, so the
 * events seen never include it: see `callOutcome` for what that hides.
 */
export class SdkStreamMeasurement implements IteratorReading {
  readonly #stream: FollowedStream;
  readonly #signal: AbortSignal;
  readonly #hideUsageChunk: boolean;
  #started = false;

  private constructor(info: SdkStreamCall, signal: AbortSignal) {
    const { call, context, operation, model, requestBody, responseId } = info;
    // Named one by one rather than spread from `info`: one shape for every stream's call.
    this.#stream = new FollowedStream({
      call,
      context,
      format: context.format,
      operation,
      model,
      requestBody,
      accumulator: context.format.createStreamAccumulator(operation),
      ledger: responseLedgerFor(context.meter.registry),
      responseId,
      decode: undefined,
    });
    this.#signal = signal;
    this.#hideUsageChunk = info.hideUsageChunk;
  }

  /** Starts following `target`: replaces its `iterator`, and watches for an abort before any read. */
  static attach(target: SdkStream, info: SdkStreamCall): void {
    const measurement = new SdkStreamMeasurement(info, target.controller.signal);
    const original = target.iterator;
    target.iterator = function measuredIterator(this: unknown): AsyncIterator<unknown> {
      measurement.#started = true;
      return new FollowedIterator(Reflect.apply(original, this, []) as AsyncIterator<unknown>, measurement, target);
    };
    measurement.#watchAbort();
    if (!measurement.#stream.ended) droppedStreams.register(target, measurement.#stream, measurement);
  }

  /**
   * Records an abort before any read. A method of its own, so that the listener's closure holds the measurement
   * only: the signal outlives the stream (the transport holds it), and a listener holding the stream would keep it
   * from ever being collected.
   */
  #watchAbort(): void {
    if (this.#signal.aborted) return;
    this.#signal.addEventListener(
      'abort',
      () => {
        // Once reading started, the reader sees the abort and tells how the stream ended.
        if (!this.#started) this.end('aborted');
      },
      { once: true },
    );
  }

  take(event: unknown): unknown {
    const kind = this.#stream.push(event);
    if (this.#hideUsageChunk && kind !== undefined) {
      if (kind === 'usage_only') return HIDDEN;
      // With include_usage every chunk carries `"usage": null`; without it the key is absent. The caller
      // did not ask, so it gets the chunks it would have got, key and all (`'usage' in chunk`, snapshots).
      if (isRecord(event) && event.usage === null) return withoutUsage(event);
    }
    return event;
  }

  end(transport: TransportEnding, error?: unknown): void {
    this.#stream.end(transport, error);
    droppedStreams.unregister(this);
  }

  ranOut(): 'aborted' | 'complete' {
    // openai v7 ends a stream quietly when its controller is aborted.
    return this.#signal.aborted ? 'aborted' : 'complete';
  }

  failed(): 'failed' {
    // The SDK aborts its controller on its way out of a failed read, so the error, not the signal, tells.
    return 'failed';
  }
}

/**
 * A chunk without its `usage` member, its other members in their order: a copy. Deleting the member instead left
 * the chunk a slow (dictionary) object, and openai 7 copies each chunk again (`{ ...chunk }`): 1.0-1.2 µs more per
 * chunk than this copy's 0.1-0.2, on the stream of every caller that did not ask for usage.
 */
function withoutUsage(chunk: Record<string, unknown>): Record<string, unknown> {
  const { usage: _usage, ...rest } = chunk;
  return rest;
}
