/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field, when the event had a non-empty one (the spec's default type `message` is left out). */
  event?: string | undefined;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /**
   * The last event ID, when one is set. As the spec says, an `id:` field stays in force for later events until
   * another `id:` field replaces it (an empty `id:` clears it).
   */
  id?: string | undefined;
}

const LF = 10;
const SPACE = 32;

/**
 * The most characters one event may take while it is read (its incomplete line plus its `data` so far) before
 * {@link SseParser} drops it: 8 MiB, the proxy's default limit for the copy of a JSON response it measures. The
 * largest legitimate events are whole responses in one event (OpenAI Responses `response.completed` echoes the
 * request's instructions and tools along with the output; image results are base64), which a JSON reply carries
 * the same way; chat chunks are a few hundred bytes. Reading an event costs about three times its size (the
 * line's pieces, the joined line, the joined data) until it is dispatched, so a stream that never ends its event
 * (one endless line, or data lines without a blank line) costs at most about 25 MB instead of growing.
 */
export const SSE_EVENT_LENGTH_LIMIT = 8 * 1024 * 1024;

/** How an {@link SseParser} bounds what it holds. */
export interface SseParserOptions {
  /** The most characters one event may take while it is read; default {@link SSE_EVENT_LENGTH_LIMIT}. */
  maxEventLength?: number | undefined;
  /** Told once for each event dropped because it went over {@link SseParserOptions.maxEventLength}. */
  onOversizedEvent?: (() => void) | undefined;
}

/**
 * An incremental Server-Sent Events parser following the WHATWG HTML "event stream interpretation".
 *
 * Feed it the body in chunks of any size, split anywhere (inside a line, inside a CRLF, inside a multi-byte
 * UTF-8 character); it calls `onEvent` for each complete event, in order. It buffers only the current
 * incomplete line and the current event's fields, never the stream.
 *
 * Per the spec: lines end with LF, CRLF or a lone CR; one leading byte order mark is skipped; lines starting
 * with `:` are comments; a line without a colon is a field with an empty value; one space after the colon is
 * dropped; an event is dispatched at a blank line, and only if it had at least one `data` field; `retry` is
 * accepted and ignored (a proxy does not reconnect). Invalid UTF-8 becomes U+FFFD.
 *
 * An event that grows past `maxEventLength` characters before its blank line (an endless line, or data lines
 * that never end in a blank line) is dropped: what it held is let go, the rest of it is skipped up to its blank
 * line without being kept, `onOversizedEvent` is told, and the next event is parsed as usual. So the parser never
 * holds much more than `maxEventLength` characters, whatever the stream.
 *
 * `onEvent` is called synchronously from `push` and must not throw: the parser does not resume a chunk
 * interrupted by an exception.
 *
 * @example
 * ```ts
 * import { SseParser } from '@llmeter/core/wire';
 * const parser = new SseParser((event) => console.log(event.data), { maxEventLength: 1024 * 1024 });
 * parser.push('data: {"a":1}\n\n'); // logs {"a":1}
 * ```
 */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  readonly #maxEventLength: number;
  readonly #onOversizedEvent: (() => void) | undefined;
  // `ignoreBOM` keeps a leading BOM in the text, so that byte and string input strip it in one place.
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Nothing decoded yet: a leading BOM is still to be skipped. */
  #atStart = true;
  /** The last chunk ended in CR: an LF opening the next chunk belongs to that line ending. */
  #skipLf = false;
  /** Pieces of the current incomplete line, joined only once the line is complete. */
  #pending: string[] = [];
  /** Characters in {@link #pending} (or, while skipping an oversized event, in its current line). */
  #pendingLength = 0;
  #data: string[] = [];
  /** Characters {@link #data} will take once joined (each line plus its joining LF). */
  #dataLength = 0;
  /** The current event went over the limit: its lines are skipped, unkept, up to its blank line. */
  #skipping = false;
  #eventType = '';
  #lastEventId = '';

  constructor(onEvent: (event: SseEvent) => void, options: SseParserOptions = {}) {
    this.#onEvent = onEvent;
    this.#maxEventLength = options.maxEventLength ?? SSE_EVENT_LENGTH_LIMIT;
    this.#onOversizedEvent = options.onOversizedEvent;
  }

  /** Characters held for the event being read (never much more than the limit). */
  get buffered(): number {
    return this.#skipping ? 0 : this.#pendingLength + this.#dataLength;
  }

  /** Takes the next chunk of the stream: bytes (decoded as UTF-8, statefully) or already-decoded text. */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    this.#pushText(text);
  }

  /**
   * Marks the end of the stream. Per the spec, an event without its closing blank line is discarded, not
   * dispatched (a stream cut off mid-event must not look complete). Resets the parser for another stream.
   */
  end(): void {
    // Flushing resets the decoder; whatever it returns (a truncated character) belongs to a discarded line.
    this.#decoder.decode();
    this.#atStart = true;
    this.#skipLf = false;
    this.#pending.length = 0;
    this.#pendingLength = 0;
    this.#data.length = 0;
    this.#dataLength = 0;
    this.#skipping = false;
    this.#eventType = '';
    this.#lastEventId = '';
  }

  #pushText(input: string): void {
    let text = input;
    if (text.length === 0) return;
    if (this.#atStart) {
      this.#atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    if (this.#skipLf) {
      this.#skipLf = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    const length = text.length;
    // Each terminator is searched for once per occurrence, so a chunk is scanned in linear time whatever mix
    // of CR and LF it has.
    let nextLf = text.indexOf('\n', pos);
    let nextCr = text.indexOf('\r', pos);
    while (nextLf !== -1 || nextCr !== -1) {
      let lineEnd: number;
      let next: number;
      if (nextCr === -1 || (nextLf !== -1 && nextLf < nextCr)) {
        lineEnd = nextLf;
        next = lineEnd + 1;
      } else {
        lineEnd = nextCr;
        next = lineEnd + 1;
        if (next === length) this.#skipLf = true;
        else if (text.charCodeAt(next) === LF) next++;
      }
      this.#completeLine(text, pos, lineEnd);
      pos = next;
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
    }
    if (pos === length) return;
    const rest = length - pos;
    if (!this.#skipping && this.#pendingLength + rest + this.#dataLength > this.#maxEventLength) this.#oversized();
    this.#pendingLength += rest;
    if (!this.#skipping) this.#pending.push(pos === 0 ? text : text.slice(pos));
  }

  /** A line ended: the pending pieces and `text[start, end)` make it. */
  #completeLine(text: string, start: number, end: number): void {
    const lineLength = this.#pendingLength + end - start;
    this.#pendingLength = 0;
    if (!this.#skipping && lineLength > 0 && lineLength + this.#dataLength > this.#maxEventLength) this.#oversized();
    if (this.#skipping) {
      // Only a blank line matters: it ends the oversized event, which is not dispatched.
      if (lineLength === 0) {
        this.#skipping = false;
        this.#eventType = '';
      }
      return;
    }
    const tail = text.slice(start, end);
    let line = tail;
    if (this.#pending.length > 0) {
      this.#pending.push(tail);
      line = this.#pending.join('');
      this.#pending.length = 0;
    }
    this.#line(line);
  }

  /** The current event went over the limit: let go of what it held, and skip the rest of it. */
  #oversized(): void {
    this.#skipping = true;
    this.#pending.length = 0;
    this.#data.length = 0;
    this.#dataLength = 0;
    this.#eventType = '';
    this.#onOversizedEvent?.();
  }

  #line(line: string): void {
    if (line.length === 0) {
      this.#dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return;
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      const start = line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
      value = line.slice(start);
    }
    switch (field) {
      case 'data':
        this.#data.push(value);
        this.#dataLength += value.length + 1;
        break;
      case 'event':
        this.#eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      // `retry` and unknown fields are ignored.
    }
  }

  #dispatch(): void {
    const data = this.#data;
    if (data.length === 0) {
      this.#eventType = '';
      return;
    }
    const event: SseEvent = { data: data.length === 1 ? (data[0] as string) : data.join('\n') };
    if (this.#eventType !== '') event.event = this.#eventType;
    if (this.#lastEventId !== '') event.id = this.#lastEventId;
    data.length = 0;
    this.#dataLength = 0;
    this.#eventType = '';
    this.#onEvent(event);
  }
}
