import { callOutcome, type InFlightCall, type TransportEnding } from '@llmeter/core';
import { isRecord, type StreamAccumulator, type WireFormat } from '@llmeter/core/wire';
import type { MeasurementContext } from './measurement-context.js';

/** What a followed Bedrock stream needs to record its call. */
export interface BedrockStreamCall {
  call: InFlightCall;
  context: MeasurementContext;
  /** The format whose `requestText` counts the prompt when the stream reported no usage. */
  format: WireFormat;
  model: string;
  /** The request body (Converse input, or an `InvokeModel` body parsed as JSON), for a local count. */
  requestBody: unknown;
  accumulator: StreamAccumulator;
  /** The caller's `abortSignal`, when it gave one: a read that fails after it fired is the caller's stop. */
  signal: AbortSignal | undefined;
  /** One SDK event as the accumulator takes it; `undefined` to skip it. */
  decode(event: unknown): unknown;
}

// A stream the caller drops without reading it to its end or breaking out of it is recorded as aborted once
// garbage-collected, rather than left in flight forever.
const droppedStreams = new FinalizationRegistry<BedrockStreamMeasurement>((measurement) => measurement.end('aborted'));

/**
 * Follows one Bedrock event stream (`ConverseStream`'s `stream`, `InvokeModelWithResponseStream`'s `body`): the
 * SDK's own async iterable keeps its identity and gets an own `[Symbol.asyncIterator]` that hands every event
 * through unchanged.
 *
 * The call is recorded once, at the first of: the last event read (`complete`), a read that fails (`failed`:
 * the SDK throws a stream's exception event, `ThrottlingException`, `ModelStreamErrorException`…, or the
 * caller's `abortSignal` fired), `return()` (`aborted`: a `break`), or the stream being garbage-collected before
 * any of those (`aborted`). What that means for the record is `callOutcome`'s to decide.
 */
export class BedrockStreamMeasurement {
  #ended = false;
  #broken = false;

  private constructor(private readonly info: BedrockStreamCall) {}

  /** Starts following `source` in place; returns `false` when it is not an async iterable. */
  static follow(source: unknown, info: BedrockStreamCall): boolean {
    if (!isRecord(source)) return false;
    const original = (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
    if (typeof original !== 'function') return false;
    const measurement = new BedrockStreamMeasurement(info);
    Object.defineProperty(source, Symbol.asyncIterator, {
      value: function measuredIterator(this: unknown): AsyncIterator<unknown> {
        return measurement.#wrap(Reflect.apply(original, this, []) as AsyncIterator<unknown>);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
    droppedStreams.register(source, measurement, measurement);
    return true;
  }

  #wrap(inner: AsyncIterator<unknown>): AsyncIterator<unknown> & AsyncIterable<unknown> {
    const onResult = (result: IteratorResult<unknown>): IteratorResult<unknown> => {
      if (result.done) this.end('complete');
      else this.#observe(result.value);
      return result;
    };
    const onFailure = (error: unknown): never => {
      this.end(this.info.signal?.aborted ? 'aborted' : 'failed', error);
      throw error;
    };
    const iterator: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      next: (...args: [] | [unknown]) => inner.next(...args).then(onResult, onFailure),
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
    // From now on the caller may hold only this iterator (a `for await` does): watch it rather than the stream.
    droppedStreams.unregister(this);
    if (!this.#ended) droppedStreams.register(iterator, this, this);
    return iterator;
  }

  #observe(event: unknown): void {
    if (this.#broken || this.#ended) return;
    try {
      const data = this.info.decode(event);
      if (data === undefined) return;
      const kind = this.info.accumulator.push(data);
      const { call } = this.info;
      if (kind === 'content' && call.firstTokenAt === undefined) call.markFirstToken();
    } catch (error) {
      // A parser bug must not break the caller's stream: stop following it and let the events pass.
      this.#broken = true;
      this.info.context.report(error);
    }
  }

  /** Records the stream, once. */
  end(transport: TransportEnding, error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    droppedStreams.unregister(this);
    const endedAt = performance.now();
    const { call, context, format, model, requestBody, accumulator } = this.info;
    const onError = context.report;
    try {
      const stream = { summary: accumulator.summary(), format, operation: 'chat' as const, model, requestBody };
      call.end(callOutcome({ transport, error, stream, endedAt, onError }));
    } catch (failure) {
      context.report(failure);
      call.end(callOutcome({ transport, error, endedAt, onError }));
    }
  }
}
