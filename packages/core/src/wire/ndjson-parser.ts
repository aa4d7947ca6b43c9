import { SSE_EVENT_LENGTH_LIMIT } from './sse-parser.js';

/** How an {@link NdjsonParser} bounds what it holds. */
export interface NdjsonParserOptions {
  /** The most characters one line may take; default 8 MiB, as for one SSE event. */
  maxLineLength?: number | undefined;
  /** Told once for each line dropped because it went over {@link NdjsonParserOptions.maxLineLength}. */
  onOversizedLine?: (() => void) | undefined;
}

/**
 * An incremental splitter of newline-delimited JSON (`application/x-ndjson`, Ollama's native streams) into its
 * lines' text. Feed it the body in chunks split anywhere (a multi-byte UTF-8 character included); it calls
 * `onLine` with each non-blank line (without its `\n` or `\r\n`), in order, as soon as its newline arrives, and with
 * a last line that has no newline at {@link NdjsonParser.end}. It keeps only the line being read; a line over
 * `maxLineLength` characters is dropped (and `onOversizedLine` told). It does not validate JSON.
 *
 * @example
 * ```ts
 * import { NdjsonParser } from '@llmeter/core/wire';
 * const parser = new NdjsonParser((line) => console.log(JSON.parse(line)));
 * parser.push('{"a":1}\n{"b"');
 * parser.push(':2}\n'); // logs { a: 1 }, then { b: 2 }
 * ```
 */
export class NdjsonParser {
  readonly #onLine: (line: string) => void;
  readonly #maxLineLength: number;
  readonly #onOversizedLine: (() => void) | undefined;
  readonly #decoder = new TextDecoder('utf-8');
  #pieces: string[] = [];
  #length = 0;
  #oversized = false;

  constructor(onLine: (line: string) => void, options: NdjsonParserOptions = {}) {
    this.#onLine = onLine;
    this.#maxLineLength = options.maxLineLength ?? SSE_EVENT_LENGTH_LIMIT;
    this.#onOversizedLine = options.onOversizedLine;
  }

  /** Takes the next piece of the body. */
  push(chunk: Uint8Array | string): void {
    this.#scan(typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true }));
  }

  /** The body ended: a last line without a newline is handed out. */
  end(): void {
    this.#scan(this.#decoder.decode());
    this.#emit();
  }

  #scan(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#keep(text.slice(start, newline));
      this.#emit();
      start = newline + 1;
    }
    if (start < text.length) this.#keep(text.slice(start));
  }

  #keep(piece: string): void {
    if (this.#oversized || piece === '') return;
    this.#length += piece.length;
    if (this.#length > this.#maxLineLength) {
      this.#oversized = true;
      this.#pieces = [];
      this.#onOversizedLine?.();
      return;
    }
    this.#pieces.push(piece);
  }

  #emit(): void {
    const line = this.#pieces.join('').trim();
    const oversized = this.#oversized;
    this.#pieces = [];
    this.#length = 0;
    this.#oversized = false;
    if (!oversized && line !== '') this.#onLine(line);
  }
}
