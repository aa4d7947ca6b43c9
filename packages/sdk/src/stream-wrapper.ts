import { callOutcome, type InFlightCall, type Operation, responseLedgerFor, type TransportEnding } from '@llmeter/core';
import { isRecord, type StreamAccumulator } from '@llmeter/core/wire';
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
// otherwise stay in flight forever; once garbage-collected, it is recorded as aborted. A stream being read may
// itself be collected (`for await` holds only its iterator), so only an unread one counts when it goes.
const unreadStreams = new FinalizationRegistry<StreamMeasurement>((measurement) => measurement.endUnread());
const droppedIterators = new FinalizationRegistry<StreamMeasurement>((measurement) => measurement.end('aborted'));

/** Where a stream's events go on their way to the caller: timing, usage, and the one record at its end. */
export interface StreamCall {
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
 * Follows one SDK stream. It keeps the SDK's own `Stream` object (so `tee()`, `toReadableStream()`,
 * `controller` and `instanceof` work as before) and replaces only its `iterator`, the one function every way
 * of reading the stream goes through, with one that passes each event through unchanged.
 *
 * The call is recorded once, at the first of: the last event read (`complete`), a read that fails (`failed`,
 * with the SDK's error), `break` / `return()` / `controller.abort()` before the end (`aborted`), an abort before
 * any read, or the stream being garbage-collected unread (`aborted`). What that means for the record (ok,
 * `aborted`, `stream_error`…) is {@link callOutcome}'s to decide, from that and the events seen. The SDK
 * swallows OpenAI's `[DONE]`, so the events seen never include it: see {@link callOutcome} for what that hides.
 */
export class StreamMeasurement {
  readonly #accumulator: StreamAccumulator;
  readonly #signal: AbortSignal;
  #started = false;
  #ended = false;
  #broken = false;

  constructor(
    private readonly info: StreamCall,
    signal: AbortSignal,
  ) {
    this.#accumulator = info.context.format.createStreamAccumulator(info.operation);
    this.#signal = signal;
  }

  /** Starts following `target`: replaces its `iterator`, and watches for an abort before any read. */
  static attach(target: SdkStream, info: StreamCall): void {
    const measurement = new StreamMeasurement(info, target.controller.signal);
    const original = target.iterator;
    target.iterator = function measuredIterator(this: unknown): AsyncIterator<unknown> {
      measurement.#started = true;
      return measurement.#follow(Reflect.apply(original, this, []) as AsyncIterator<unknown>);
    };
    if (!measurement.#signal.aborted) {
      measurement.#signal.addEventListener(
        'abort',
        () => {
          // Once reading started, the reader sees the abort and tells how the stream ended.
          if (!measurement.#started) measurement.end('aborted');
        },
        { once: true },
      );
    }
    unreadStreams.register(target, measurement);
  }

  /** Records a stream that was never read as aborted. */
  endUnread(): void {
    if (!this.#started) this.end('aborted');
  }

  #follow(inner: AsyncIterator<unknown>): AsyncIterator<unknown> & AsyncIterable<unknown> {
    const onResult = (result: IteratorResult<unknown>): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
      if (result.done) {
        // openai v7 ends a stream quietly when its controller is aborted.
        this.end(this.#signal.aborted ? 'aborted' : 'complete');
        return result;
      }
      if (this.#observe(result.value)) return inner.next().then(onResult, onFailure);
      return result;
    };
    const onFailure = (error: unknown): never => {
      // The SDK aborts its controller on its way out of a failed read, so the error, not the signal, tells.
      this.end('failed', error);
      throw error;
    };
    const iterator: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      // An SDK stream ignores what `next` is given, so passing `undefined` on is the same as passing nothing.
      next: (value?: unknown) => inner.next(value).then(onResult, onFailure),
      return: (value?: unknown) => {
        this.end('aborted');
        return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    if (inner.throw) {
      const innerThrow = inner.throw.bind(inner);
      iterator.throw = (error?: unknown) => {
        this.end('failed', error);
        return innerThrow(error);
      };
    }
    droppedIterators.register(iterator, this);
    return iterator;
  }

  /** Takes one event; says whether the caller must not see it (the usage chunk llmeter asked for). */
  #observe(event: unknown): boolean {
    if (this.#broken) return false;
    try {
      const kind = this.#accumulator.push(event);
      const { call, hideUsageChunk } = this.info;
      if (kind === 'content' && call.firstTokenAt === undefined) call.markFirstToken();
      if (hideUsageChunk) {
        if (kind === 'usage_only') return true;
        // With include_usage every chunk carries `"usage": null`; without it the key is absent. The caller
        // did not ask, so it gets the chunks it would have got, key and all (`'usage' in chunk`, snapshots).
        if (isRecord(event) && event.usage === null) delete event.usage;
      }
      return false;
    } catch (error) {
      // A parser bug must not break the caller's stream: stop following it and let the events pass.
      this.#broken = true;
      this.info.context.report(error);
      return false;
    }
  }

  /** Records the stream, once, as {@link callOutcome} decides from how it ended and the events seen. */
  end(transport: TransportEnding, error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const endedAt = performance.now();
    const { call, context, operation, model, requestBody, responseId } = this.info;
    const onError = context.report;
    try {
      const stream = { summary: this.#accumulator.summary(), format: context.format, operation, model, requestBody };
      const ledger = responseLedgerFor(context.meter.registry);
      call.end(callOutcome({ transport, error, stream, endedAt, onError, ledger, responseId, model }));
    } catch (failure) {
      // Reading the summary failed (a bug): record what is known without it.
      context.report(failure);
      call.end(callOutcome({ transport, error, endedAt, onError }));
    }
  }
}
