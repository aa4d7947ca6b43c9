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
 * `onEvent` is called synchronously from `push` and must not throw: the parser does not resume a chunk
 * interrupted by an exception.
 */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  // `ignoreBOM` keeps a leading BOM in the text, so that byte and string input strip it in one place.
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Nothing decoded yet: a leading BOM is still to be skipped. */
  #atStart = true;
  /** The last chunk ended in CR: an LF opening the next chunk belongs to that line ending. */
  #skipLf = false;
  /** Pieces of the current incomplete line, joined only once the line is complete. */
  #pending: string[] = [];
  #data: string[] = [];
  #eventType = '';
  #lastEventId = '';

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
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
    this.#data.length = 0;
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
      const tail = text.slice(pos, lineEnd);
      let line = tail;
      if (this.#pending.length > 0) {
        this.#pending.push(tail);
        line = this.#pending.join('');
        this.#pending.length = 0;
      }
      this.#line(line);
      pos = next;
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
    }
    if (pos < length) this.#pending.push(pos === 0 ? text : text.slice(pos));
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
    this.#eventType = '';
    this.#onEvent(event);
  }
}
