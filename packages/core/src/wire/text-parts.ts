/**
 * Collects pieces of text (stream deltas, prompt parts) by reference and joins them only when asked, so that
 * following a stream costs one array push per piece rather than a string copy.
 */
export class TextParts {
  readonly #separator: string;
  #parts: string[] = [];

  constructor(separator = '') {
    this.#separator = separator;
  }

  /** Adds a value when it is a non-empty string; anything else is ignored. */
  add(value: unknown): void {
    if (typeof value === 'string' && value !== '') this.#parts.push(value);
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

  /** The pieces so far, joined. */
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
