import { isRecord } from '@llmeter/core/wire';
import { FollowedIterator, type IteratorReading } from './followed-iterator.js';
import { FollowedStream, type FollowedStreamCall } from './followed-stream.js';

/** What a followed Bedrock stream needs to record its call. */
export interface BedrockStreamCall extends Omit<FollowedStreamCall, 'operation' | 'decode'> {
  /** The caller's `abortSignal`, when it gave one: a read that fails after it fired is the caller's stop. */
  signal: AbortSignal | undefined;
  /** One SDK event as the accumulator takes it; `undefined` to skip it. */
  decode(event: unknown): unknown;
}

// A stream the caller drops without reading it to its end or breaking out of it is recorded as aborted once
// garbage-collected, rather than left in flight forever. One registration per stream: the SDK's iterable, which
// every iterator over it holds (a `for await` holds only the iterator), taken back as soon as the stream is
// recorded (see sdk-stream.ts: a registered object outlives V8's young-generation collections).
const droppedStreams = new FinalizationRegistry<FollowedStream>((stream) => stream.end('aborted'));

/** How a Bedrock stream's iterator is read: every event shown, a failure after the caller's abort its stop. */
class BedrockStreamReading implements IteratorReading {
  readonly stream: FollowedStream;

  constructor(
    private readonly signal: AbortSignal | undefined,
    info: BedrockStreamCall,
  ) {
    this.stream = new FollowedStream({ ...info, operation: 'chat' });
  }

  take(event: unknown): unknown {
    this.stream.push(event);
    return event;
  }

  ranOut(): 'complete' {
    return 'complete';
  }

  failed(): 'aborted' | 'failed' {
    return this.signal?.aborted ? 'aborted' : 'failed';
  }

  /** Records the stream, once. */
  end: FollowedStream['end'] = (transport, error) => {
    if (this.stream.ended) return;
    droppedStreams.unregister(this);
    this.stream.end(transport, error);
  };
}

/**
 * Follows one Bedrock event stream (`ConverseStream`'s `stream`, `InvokeModelWithResponseStream`'s `body`) in
 * place: the SDK's own async iterable keeps its identity and gets an own `[Symbol.asyncIterator]` that hands
 * every event through unchanged. Returns `false` when `source` is not an async iterable.
 *
 * The call is recorded once, at the first of: the last event read (`complete`), a read that fails (`failed`:
 * the SDK throws a stream's exception event, `ThrottlingException`, `ModelStreamErrorException`…, or the
 * caller's `abortSignal` fired: `aborted`), `return()` (`aborted`: a `break`), or the stream being
 * garbage-collected before any of those (`aborted`).
 */
export function followBedrockStream(source: unknown, info: BedrockStreamCall): boolean {
  if (!isRecord(source)) return false;
  const original = (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
  if (typeof original !== 'function') return false;
  const reading = new BedrockStreamReading(info.signal, info);
  Object.defineProperty(source, Symbol.asyncIterator, {
    value: function measuredIterator(this: unknown): AsyncIterator<unknown> {
      // The iterator holds `source`: the caller may hold only the iterator (a `for await` does).
      return new FollowedIterator(Reflect.apply(original, this, []) as AsyncIterator<unknown>, reading, source);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  droppedStreams.register(source, reading.stream, reading);
  return true;
}
