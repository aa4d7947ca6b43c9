import type { InFlightCall, Operation } from '@llmeter/core';
import { isRecord } from '@llmeter/core/wire';
import { FollowedStream } from './followed-stream.js';
import type { MeasurementContext } from './measurement-context.js';
import { isThenable } from './thenable.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** An async generator as `@google/genai` hands out streams: `next`, `return` and `throw`. */
export interface GeneratorLike {
  next: AnyFunction;
  return: AnyFunction;
  throw: AnyFunction;
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
const droppedStreams = new FinalizationRegistry<FollowedStream>((stream) => stream.end('aborted'));

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
 * Follows one `@google/genai` stream, in place: the async generator `generateContentStream` resolves to. It keeps
 * the SDK's own generator object (so `for await`, `instanceof`, `Symbol.asyncDispose` and the chat helpers built
 * on it work as before) and gives it own `next`, `return` and `throw` that pass every chunk through unchanged.
 *
 * The call is recorded once, at the first of: the last chunk read (`complete`), a read that fails (`failed`, with
 * the SDK's error: an `ApiError` for an error chunk, an `AbortError` for the caller's `abortSignal`), `return()`
 * (`aborted`: a `break`), `throw()`, or the generator being garbage-collected before any of those (`aborted`).
 */
export function followGeminiStream(generator: GeneratorLike, info: GeminiStreamCall): void {
  const { context, operation } = info;
  const stream = new FollowedStream({
    ...info,
    format: context.format,
    accumulator: context.format.createStreamAccumulator(operation),
  });
  const end: FollowedStream['end'] = (transport, error) => {
    if (stream.ended) return;
    droppedStreams.unregister(stream);
    stream.end(transport, error);
  };
  const onResult = (result: unknown): unknown => {
    if (isRecord(result) && result.done === true) end('complete');
    else if (isRecord(result)) stream.push(result.value);
    return result;
  };
  const onFailure = (error: unknown): never => {
    end('failed', error);
    throw error;
  };
  const { next, return: stop, throw: raise } = generator;
  const define = (name: string, value: AnyFunction) =>
    Object.defineProperty(generator, name, { value, writable: true, configurable: true, enumerable: false });
  define('next', function measuredNext(this: unknown, ...args: unknown[]): unknown {
    const pending = Reflect.apply(next, this, args);
    return isThenable(pending) ? pending.then(onResult, onFailure) : pending;
  });
  define('return', function measuredReturn(this: unknown, ...args: unknown[]): unknown {
    end('aborted');
    return Reflect.apply(stop, this, args);
  });
  define('throw', function measuredThrow(this: unknown, ...args: unknown[]): unknown {
    end('failed', args[0]);
    return Reflect.apply(raise, this, args);
  });
  droppedStreams.register(generator, stream, stream);
}
