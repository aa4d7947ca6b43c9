import type { TransportEnding } from '@llmeter/core';

/** What {@link IteratorReading.take} returns for an event the caller must not see. */
export const HIDDEN: unique symbol = Symbol('hidden from the caller');

/** How one client's stream adapter reads what its SDK's async iterator yields. */
export interface IteratorReading {
  /**
   * Takes one event read (feeding it to a `FollowedStream`); returns what the caller gets in its place: the event
   * itself, a copy of it, or {@link HIDDEN}.
   */
  take(event: unknown): unknown;
  /** How a stream whose iterator ran out ended. */
  ranOut(): TransportEnding;
  /** How a stream whose read failed ended. */
  failed(): TransportEnding;
  /** Records the stream, once (a `FollowedStream`'s `end`, with the adapter's own clean-up). */
  end(transport: TransportEnding, error?: unknown): void;
}

/**
 * An async iterator over `inner` that hands every event through as `reading.take` gives it back (itself, a copy, or
 * hidden) and ends the stream (`reading.end`) at the first of: the iterator running out, a read that fails,
 * `return()` (`aborted`: a `break`) or `throw()` (`failed`). It is its own async iterable, as the iterators of
 * async generators are. A class rather than an object of closures: one is made per stream, read once per event.
 */
export class FollowedIterator implements AsyncIterator<unknown>, AsyncIterable<unknown> {
  readonly #inner: AsyncIterator<unknown>;
  readonly #reading: IteratorReading;
  /**
   * The object the stream is watched through (the SDK's stream, registered for garbage collection once): held
   * so that it outlives every iterator over it, and its collection means that no reader is left.
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held, never read: holding it is its purpose.
  readonly #owner: object | undefined;

  constructor(inner: AsyncIterator<unknown>, reading: IteratorReading, owner?: object) {
    this.#inner = inner;
    this.#reading = reading;
    this.#owner = owner;
    // Only an iterator whose source can be thrown into offers `throw` (`yield*` reads an undefined one as none).
    if (inner.throw === undefined) Object.defineProperty(this, 'throw', { value: undefined });
  }

  readonly #onResult = (
    result: IteratorResult<unknown>,
  ): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
    if (result.done) {
      this.#reading.end(this.#reading.ranOut());
      return result;
    }
    const value = result.value;
    const given = this.#reading.take(value);
    if (given === value) return result;
    if (given === HIDDEN) return this.#inner.next().then(this.#onResult, this.#onFailure);
    return { done: false, value: given };
  };

  readonly #onFailure = (error: unknown): never => {
    this.#reading.end(this.#reading.failed(), error);
    throw error;
  };

  // The SDKs' iterators ignore what `next` is given, so passing `undefined` on is the same as passing nothing.
  next(value?: unknown): Promise<IteratorResult<unknown>> {
    return this.#inner.next(value).then(this.#onResult, this.#onFailure);
  }

  return(value?: unknown): Promise<IteratorResult<unknown>> {
    this.#reading.end('aborted');
    const inner = this.#inner;
    return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value });
  }

  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.#reading.end('failed', error);
    return (this.#inner.throw as (error?: unknown) => Promise<IteratorResult<unknown>>).call(this.#inner, error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
