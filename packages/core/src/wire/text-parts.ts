/**
 * How much of a stream's output text is kept for local token counting (about 16k tokens, 128 KiB): a sample
 * that large extrapolates well, and counting it takes milliseconds.
 */
export const STREAM_TEXT_LIMIT = 64 * 1024;

/**
 * Collects pieces of text (stream deltas, prompt parts) by reference and joins them only when asked, so that
 * following a stream costs one array push per piece rather than a string copy.
 *
 * With a `limit`, only the first `limit` characters are kept and the rest is only measured, so a stream of any
 * size holds a bounded sample; {@link TextParts.length} still tells the whole length, to extrapolate from.
 */
export class TextParts {
  readonly #separator: string;
  readonly #limit: number;
  #parts: string[] = [];
  #kept = 0;
  #length = 0;

  constructor(separator = '', limit = Number.POSITIVE_INFINITY) {
    this.#separator = separator;
    this.#limit = limit;
  }

  /** Adds a value when it is a non-empty string; anything else is ignored. */
  add(value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    this.#length += value.length;
    const room = this.#limit - this.#kept;
    if (room <= 0) return;
    const kept = value.length <= room ? value : value.slice(0, room);
    this.#parts.push(kept);
    this.#kept += kept.length;
  }

  /** Characters added in all, kept or not (separators aside). */
  get length(): number {
    return this.#length;
  }

  /** Adds a value's JSON (tool definitions, tool inputs), when it has one. */
  addJson(value: unknown): void {
    if (value === undefined || value === null) return;
    try {
      this.add(JSON.stringify(value));
    } catch {
      // A cyclic or BigInt-holding value has no JSON; it has no prompt text to count either.
    }
  }

  /** The pieces kept so far, joined. */
  text(): string {
    const parts = this.#parts;
    if (parts.length === 0) return '';
    if (parts.length === 1) return parts[0] as string;
    const joined = parts.join(this.#separator);
    // Keep the result as the only piece, so that asking again (or after more pieces) does not re-join.
    this.#parts = [joined];
    return joined;
  }
}
