/**
 * Hands out the ids a response carries (`chatcmpl-…`, `msg_…`, `req_…`). They count up per simulator instead of
 * being random, so two runs of the same test see the same ids.
 */
export class IdSource {
  #count = 0;

  /** A new id: `prefix` then 24 characters, unique within this simulator. */
  next(prefix: string): string {
    this.#count += 1;
    return `${prefix}sim${this.#count.toString(36).padStart(21, '0')}`;
  }
}
