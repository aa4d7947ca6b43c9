import type { ServerResponse } from 'node:http';

/** One request under way: its response, and what handles it once its call started. */
export interface OpenRequest<E> {
  readonly res: ServerResponse;
  handler: E | undefined;
  /** @internal Neighbours in the list; cleared when the request leaves it. */
  previous: OpenRequest<E> | undefined;
  /** @internal */
  next: OpenRequest<E> | undefined;
  /** @internal Still in the list. */
  open: boolean;
}

/**
 * The requests under way, as a list that each request joins and leaves in constant time.
 *
 * Not a `Map` keyed by response, on purpose: a `Map` that gains and loses a key on every request rebuilds its
 * table every few requests, and V8 links each replaced table to its successor (for iterators still on it). A
 * replaced table that lived long enough to reach the old generation then keeps every newer table, and every
 * request in them, alive through each young-generation collection (they are reachable from an old object, and
 * a scavenge does not check whether that object is itself garbage). Measured on the proxy's JSON benchmark
 * (`bench/proxy-overhead.mjs`, run with `--trace-gc-nvp`): with a `Map`, 12% of all it allocated was copied into
 * the old generation, which grew the young generation to its maximum and cost about 14 µs of CPU per request (a
 * sixth of the proxy's time, 1.26x a bare proxy's); with this list, nothing was (1.05x).
 * Here a request that leaves is unlinked and its links cleared, so nothing old points at anything newer.
 *
 * @example
 * ```ts
 * const open = new OpenRequests<Exchange>();
 * const entry = open.add(res);
 * entry.handler = exchange;
 * open.remove(entry); // true: it was open
 * ```
 */
export class OpenRequests<E> {
  #first: OpenRequest<E> | undefined;
  #size = 0;

  /** How many requests are under way. */
  get size(): number {
    return this.#size;
  }

  /** Adds a request under way (no handler yet). */
  add(res: ServerResponse): OpenRequest<E> {
    const entry: OpenRequest<E> = { res, handler: undefined, previous: undefined, next: this.#first, open: true };
    if (this.#first !== undefined) this.#first.previous = entry;
    this.#first = entry;
    this.#size++;
    return entry;
  }

  /** Takes a request out of the list; returns whether it was in it (a request leaves once). */
  remove(entry: OpenRequest<E>): boolean {
    if (!entry.open) return false;
    entry.open = false;
    const { previous, next } = entry;
    if (previous === undefined) this.#first = next;
    else previous.next = next;
    if (next !== undefined) next.previous = previous;
    entry.previous = undefined;
    entry.next = undefined;
    this.#size--;
    return true;
  }

  /** The requests under way now (a copy: handling one may take others out of the list). */
  snapshot(): OpenRequest<E>[] {
    const entries: OpenRequest<E>[] = [];
    for (let entry = this.#first; entry !== undefined; entry = entry.next) entries.push(entry);
    return entries;
  }
}
