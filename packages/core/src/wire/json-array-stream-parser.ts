import { SSE_EVENT_LENGTH_LIMIT } from './sse-parser.js';

/** How a {@link JsonArrayStreamParser} bounds what it holds. */
export interface JsonArrayStreamParserOptions {
  /** The most characters one element may take while it is read; default 8 MiB, as for one SSE event. */
  maxElementLength?: number | undefined;
  /** Told once for each element dropped because it went over {@link JsonArrayStreamParserOptions.maxElementLength}. */
  onOversizedElement?: (() => void) | undefined;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const BOM = 0xfeff;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * An incremental splitter of a streamed JSON array into its elements' JSON text: the framing of the Gemini API's
 * `streamGenerateContent` without `?alt=sse` (`[{…}\n,\r\n{…}\n]`, flushed element by element), which a
 * front end must read as it arrives rather than buffer whole.
 *
 * Feed it the body in chunks of any size, split anywhere (inside a string, an escape, a multi-byte UTF-8
 * character); it calls `onElement` with each complete top-level element's text, in order, as soon as the
 * element's last character arrives. It keeps only the element being read. A body that is one object rather than
 * an array (an error reply) is handed out as one element. Whitespace, a leading byte order mark and stray commas
 * between elements are skipped; an element still open at {@link JsonArrayStreamParser.end} (a cut stream) is
 * dropped. It does not validate JSON: the element's text is handed out as it came, for `JSON.parse` to judge.
 *
 * An element that grows past `maxElementLength` characters is dropped (its text let go, the rest of it scanned
 * without being kept) and `onOversizedElement` told, so the parser never holds much more than that, whatever the
 * stream. `onElement` is called synchronously from `push` and must not throw.
 *
 * @example
 * ```ts
 * import { JsonArrayStreamParser } from '@llmeter/core/wire';
 * const parser = new JsonArrayStreamParser((text) => console.log(JSON.parse(text)));
 * parser.push('[{"a":1}\n,\r\n{"b"');
 * parser.push(':2}\n]'); // logs { a: 1 }, then { b: 2 }
 * ```
 */
export class JsonArrayStreamParser {
  readonly #onElement: (text: string) => void;
  readonly #maxElementLength: number;
  readonly #onOversizedElement: (() => void) | undefined;
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** `start`: before the opening `[`; `between`: inside the array, between elements; `element`: in one; `done`. */
  #state: 'start' | 'between' | 'element' | 'done' = 'start';
  /** The body is one object, not an array: it ends with that object. */
  #single = false;
  /** Nesting inside the current element (objects and arrays). */
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** The current element is a bare scalar (`1`, `true`), which ends at a delimiter rather than a bracket. */
  #scalar = false;
  #pieces: string[] = [];
  #length = 0;
  #oversized = false;

  constructor(onElement: (text: string) => void, options: JsonArrayStreamParserOptions = {}) {
    this.#onElement = onElement;
    this.#maxElementLength = options.maxElementLength ?? SSE_EVENT_LENGTH_LIMIT;
    this.#onOversizedElement = options.onOversizedElement;
  }

  /** Takes the next piece of the body. */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    this.#scan(text);
  }

  /** The body ended: a pending multi-byte character is flushed, and an unfinished element is dropped. */
  end(): void {
    this.#scan(this.#decoder.decode());
    if (this.#state === 'element' && this.#scalar) this.#emitElement('', 0, 0);
    this.#dropElement();
    this.#state = 'done';
  }

  #scan(text: string): void {
    let start = this.#state === 'element' ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      switch (this.#state) {
        case 'done':
          return;
        case 'start':
          if (code === OPEN_BRACKET) this.#state = 'between';
          else if (code === OPEN_BRACE) {
            this.#single = true;
            start = this.#open(i, code);
          }
          // Anything else before the array (whitespace, a BOM, junk) is skipped.
          break;
        case 'between':
          if (code === CLOSE_BRACKET) this.#state = 'done';
          else if (!isWhitespace(code) && code !== COMMA && code !== BOM) start = this.#open(i, code);
          break;
        case 'element':
          if (this.#step(code)) {
            const end = this.#scalar ? i : i + 1;
            this.#emitElement(text, start, end);
            start = -1;
            this.#state = this.#single ? 'done' : 'between';
            // A scalar ends at the delimiter, which the array still has to read (`]` closes it).
            if (this.#scalar && code === CLOSE_BRACKET) this.#state = 'done';
          }
          break;
      }
    }
    if (this.#state === 'element' && start !== -1) this.#keep(text.slice(start));
  }

  /** Starts an element at `text[i]`; returns where its text starts. */
  #open(i: number, code: number): number {
    this.#state = 'element';
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#scalar = code !== OPEN_BRACE && code !== OPEN_BRACKET && code !== QUOTE;
    if (!this.#scalar) this.#step(code);
    return i;
  }

  /** Follows one character of the current element; says whether the element ended with it. */
  #step(code: number): boolean {
    if (this.#scalar) return code === COMMA || code === CLOSE_BRACKET || isWhitespace(code);
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (code === BACKSLASH) this.#escaped = true;
      else if (code === QUOTE) {
        this.#inString = false;
        return this.#depth === 0;
      }
      return false;
    }
    if (code === QUOTE) this.#inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.#depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      this.#depth--;
      return this.#depth === 0;
    }
    return false;
  }

  #keep(piece: string): void {
    if (this.#oversized) return;
    this.#length += piece.length;
    if (this.#length > this.#maxElementLength) {
      this.#oversized = true;
      this.#pieces = [];
      this.#onOversizedElement?.();
      return;
    }
    this.#pieces.push(piece);
  }

  #emitElement(text: string, start: number, end: number): void {
    if (end > start) this.#keep(text.slice(start, end));
    const oversized = this.#oversized;
    const pieces = this.#pieces;
    this.#dropElement();
    if (!oversized && pieces.length > 0) this.#onElement(pieces.length === 1 ? (pieces[0] as string) : pieces.join(''));
  }

  #dropElement(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#oversized = false;
  }
}
