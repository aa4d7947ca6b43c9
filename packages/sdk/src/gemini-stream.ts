import { callOutcome, type InFlightCall, type Operation, type TransportEnding } from '@llmeter/core';
import { isRecord, type StreamAccumulator } from '@llmeter/core/wire';
import type { MeasurementContext } from './measurement-context.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** An async generator as `@google/genai` hands out streams: `next`, `return` and `throw`. */
export interface GeneratorLike {
  next: AnyFunction;
  return: AnyFunction;
  throw: AnyFunction;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isRecord(value) && typeof value.then === 'function';
}

/** Whether a resolved value is a stream llmeter can follow (`generateContentStream` resolves to one). */
export function isGeneratorLike(value: unknown): value is GeneratorLike {
  return (
    isRecord(value) &&
    typeof value.next === 'function' &&
    typeof value.return === 'function' &&
    typeof value.throw === 'function'
  );
}

// A stream the caller drops without reading it to its end or calling `return()` (a `for await` it never started,
// an iterator left half-read) would otherwise stay in flight forever; once garbage-collected, it is recorded as
// aborted. A `break` calls `return()`, which records it at once.
const droppedStreams = new FinalizationRegistry<GeminiStreamMeasurement>((measurement) => measurement.end('aborted'));

/** What a followed Gemini stream needs to record its call. */
export interface GeminiStreamCall {
  call: InFlightCall;
  context: MeasurementContext;
  operation: Operation;
  model: string;
  /** The caller's params, for counting the prompt when no usage was reported. */
  requestBody: unknown;
}

/**
 * Follows one `@google/genai` stream: the async generator `generateContentStream` resolves to. It keeps the
 * SDK's own generator object (so `for await`, `instanceof`, `Symbol.asyncDispose` and the chat helpers built on it
 * work as before) and gives it own `next`, `return` and `throw` that pass every chunk through unchanged.
 *
 * The call is recorded once, at the first of: the last chunk read (`complete`), a read that fails (`failed`, with
 * the SDK's error: an `ApiError` for an error chunk, an `AbortError` for the caller's `abortSignal`), `return()`
 * (`aborted`: a `break`), `throw()`, or the generator being garbage-collected before any of those (`aborted`).
 * How that ends up in the record (ok, `aborted`, `stream_error`…) is `callOutcome`'s to decide.
 */
export class GeminiStreamMeasurement {
  readonly #accumulator: StreamAccumulator;
  #ended = false;
  #broken = false;

  private constructor(private readonly info: GeminiStreamCall) {
    this.#accumulator = info.context.format.createStreamAccumulator(info.operation);
  }

  /** Starts following `generator`, in place. */
  static follow(generator: GeneratorLike, info: GeminiStreamCall): void {
    const measurement = new GeminiStreamMeasurement(info);
    const { next, return: stop, throw: raise } = generator;
    const define = (name: string, value: AnyFunction) =>
      Object.defineProperty(generator, name, { value, writable: true, configurable: true, enumerable: false });
    define('next', function measuredNext(this: unknown, ...args: unknown[]): unknown {
      return measurement.#read(Reflect.apply(next, this, args));
    });
    define('return', function measuredReturn(this: unknown, ...args: unknown[]): unknown {
      measurement.end('aborted');
      return Reflect.apply(stop, this, args);
    });
    define('throw', function measuredThrow(this: unknown, ...args: unknown[]): unknown {
      measurement.end('failed', args[0]);
      return Reflect.apply(raise, this, args);
    });
    droppedStreams.register(generator, measurement, measurement);
  }

  #read(pending: unknown): unknown {
    if (!isThenable(pending)) return pending;
    return pending.then(
      (result) => {
        if (isRecord(result) && result.done === true) this.end('complete');
        else if (isRecord(result)) this.#observe(result.value);
        return result;
      },
      (error: unknown) => {
        this.end('failed', error);
        throw error;
      },
    );
  }

  #observe(chunk: unknown): void {
    if (this.#broken || this.#ended) return;
    try {
      const kind = this.#accumulator.push(chunk);
      const { call } = this.info;
      if (kind === 'content' && call.firstTokenAt === undefined) call.markFirstToken();
    } catch (error) {
      // A parser bug must not break the caller's stream: stop following it and let the chunks pass.
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
    const { call, context, operation, model, requestBody } = this.info;
    const onError = context.report;
    try {
      const stream = { summary: this.#accumulator.summary(), format: context.format, operation, model, requestBody };
      call.end(callOutcome({ transport, error, stream, endedAt, onError }));
    } catch (failure) {
      context.report(failure);
      call.end(callOutcome({ transport, error, endedAt, onError }));
    }
  }
}
