import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isJsonSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from './json-members.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
/** `d`, `a`, `t` (of `data`) and `u` (of `usage`). */
const D = 0x64;
const A = 0x61;
const T = 0x74;
const U = 0x75;
const DATA = Buffer.from('data');
/** The member OpenAI's `include_usage` adds to every chunk but the usage one. */
export const USAGE_NULL = Buffer.from('"usage":null');
const COMMA_USAGE_NULL = Buffer.from(',"usage":null');

/** Where a line of the event is: before its field name is known, in a `data` value, or in any other line. */
type LineState = 'start' | 'field' | 'value' | 'other';
/** Where the JSON of the data is: before its first byte, inside its top-level object, or past what is cut. */
type JsonState = 'before' | 'object' | 'done';

/**
 * Cuts the top-level `"usage":null` member (and the comma that joined it) out of one SSE event's JSON data, as
 * the event's bytes stream through: every other byte passes unchanged, and at most the 14 bytes that might be
 * that member are held back until the next byte tells. So an event of any size can be forwarded as it arrives
 * and still reach the client without the member llmeter's `include_usage` made the provider add.
 *
 * It follows the SSE lines (only `data:` values are JSON; one space after the colon is the separator) and, in
 * them, the JSON strings and nesting depth, so a `"usage":null` inside a string or a nested object stays. The
 * member is cut where the provider writes it: compact, one per event, within one `data:` line. Anything else
 * (data that is not an object, a member split across lines) passes as it came.
 */
export class UsageNullCutter {
  #line: LineState = 'start';
  /** In a `field` line: how many bytes of `data:` matched (5 = the colon too). */
  #fieldAt = 0;
  #json: JsonState = 'before';
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Only whitespace since the top-level `{`: a key here is the object's first member. */
  #firstMember = false;
  /** Bytes held back while they may still be the member to cut. */
  #held: number[] | undefined;
  /** The held bytes start with the comma before the member (else with its key's quote, after the `{`). */
  #heldAfterComma = false;

  /** Takes the next bytes of the event; returns those to forward now. */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    // Where the bytes to forward from `chunk` start; -1 while bytes are held.
    let from = this.#held === undefined ? 0 : -1;
    for (let at = 0; at < chunk.length; at++) {
      if (this.#json === 'done' && this.#held === undefined) break;
      const byte = chunk[at] as number;
      const held = this.#held;
      if (held !== undefined) {
        const step = this.#match(held, byte);
        if (step === 'more') {
          held.push(byte);
          continue;
        }
        this.#held = undefined;
        if (step === 'mismatch') {
          out.push(Buffer.from(held));
          // The held bytes were ordinary JSON after all: read them as such, then this byte.
          for (const heldByte of held) this.#scanJson(heldByte, false);
          from = at;
        } else {
          this.#json = 'done';
          from = step === 'cut_with_byte' ? at + 1 : at;
          continue;
        }
      }
      if (this.#step(byte)) {
        if (from !== -1 && at > from) out.push(chunk.subarray(from, at));
        from = -1;
        this.#held = [byte];
      }
    }
    if (this.#held === undefined && from !== -1 && from < chunk.length)
      out.push(from === 0 ? chunk : chunk.subarray(from));
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** The event ended: bytes still held were not the member after all. */
  end(): Buffer {
    const held = this.#held;
    this.#held = undefined;
    return held === undefined ? Buffer.alloc(0) : Buffer.from(held);
  }

  /** Takes one byte outside a held candidate; says whether it starts one. */
  #step(byte: number): boolean {
    if (byte === LF || byte === CR) {
      this.#line = 'start';
      return false;
    }
    switch (this.#line) {
      case 'start':
        this.#line = 'field';
        this.#fieldAt = 0;
        return this.#fieldByte(byte);
      case 'field':
        return this.#fieldByte(byte);
      case 'value':
        return this.#scanJson(byte, true);
      default:
        return false;
    }
  }

  #fieldByte(byte: number): boolean {
    if (this.#fieldAt < DATA.length) {
      if (byte === DATA[this.#fieldAt]) this.#fieldAt++;
      else this.#line = 'other';
      return false;
    }
    if (this.#fieldAt === DATA.length) {
      if (byte === COLON) this.#fieldAt++;
      else this.#line = 'other';
      return false;
    }
    // Just past `data:`: one space is the separator; anything else is the value's first byte.
    this.#line = 'value';
    return byte === SPACE ? false : this.#scanJson(byte, true);
  }

  /** Follows the JSON by one byte; with `mayHold`, says whether the byte may start the member to cut. */
  #scanJson(byte: number, mayHold: boolean): boolean {
    if (this.#json === 'done') return false;
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (byte === BACKSLASH) this.#escaped = true;
      else if (byte === QUOTE) this.#inString = false;
      return false;
    }
    if (isJsonSpace(byte)) return false;
    if (this.#json === 'before') {
      if (byte === OPEN_BRACE) {
        this.#json = 'object';
        this.#depth = 1;
        this.#firstMember = true;
      } else {
        this.#json = 'done';
      }
      return false;
    }
    const first = this.#firstMember;
    this.#firstMember = false;
    switch (byte) {
      case QUOTE:
        if (mayHold && first && this.#depth === 1) {
          this.#heldAfterComma = false;
          return true;
        }
        this.#inString = true;
        return false;
      case COMMA:
        if (mayHold && this.#depth === 1) {
          this.#heldAfterComma = true;
          return true;
        }
        return false;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        this.#depth++;
        return false;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        this.#depth--;
        if (this.#depth <= 0) this.#json = 'done';
        return false;
      default:
        return false;
    }
  }

  /**
   * The next byte after `held`: still the member (`more`), the member complete and this byte the one after it
   * (`cut`: forward this byte; `cut_with_byte`: the first member's trailing comma goes too), or not it.
   */
  #match(held: number[], byte: number): 'more' | 'cut' | 'cut_with_byte' | 'mismatch' {
    const pattern = this.#heldAfterComma ? COMMA_USAGE_NULL : USAGE_NULL;
    if (held.length < pattern.length) return byte === pattern[held.length] ? 'more' : 'mismatch';
    if (this.#heldAfterComma) return byte === COMMA || byte === CLOSE_BRACE || isJsonSpace(byte) ? 'cut' : 'mismatch';
    if (byte === COMMA) return 'cut_with_byte';
    return byte === CLOSE_BRACE ? 'cut' : 'mismatch';
  }
}

/** One whole event's bytes without the top-level `"usage":null` member; unchanged when it has none. */
export function withoutTopLevelUsageNull(bytes: Buffer): Buffer {
  if (bytes.indexOf(USAGE_NULL) === -1) return bytes;
  const range = oneLineUsageNullCut(bytes);
  if (range === null) return bytes;
  if (range !== undefined) return cut(bytes, range[0], range[1]);
  const cutter = new UsageNullCutter();
  const head = cutter.push(bytes);
  const rest = cutter.end();
  return rest.length === 0 ? head : Buffer.concat([head, rest]);
}

/**
 * Where {@link UsageNullCutter} cuts the usual event, its JSON object opening on its first line (`data: {…}`):
 * `[start, end)` of the member (with its comma), `null` when the event has no such member, found in one loop over
 * local state (the cutter's step per byte through private fields costs several times more, on every chunk of an
 * injected stream). `undefined` when this cannot tell: the data is not an object on the first line, or the scan
 * meets a line end (LF, CR) before the member is found or the object closes; the cutter then reads the event,
 * lines and all. Only the JSON's structure decides where: the characters inside a string without a quote,
 * backslash or line end do not change it.
 */
export function oneLineUsageNullCut(bytes: Buffer): [number, number] | null | undefined {
  if (bytes[0] !== D || bytes[1] !== A || bytes[2] !== T || bytes[3] !== A || bytes[4] !== COLON) return undefined;
  const open = bytes[5] === SPACE ? 6 : 5;
  if (bytes[open] !== OPEN_BRACE) return undefined;
  const length = bytes.length;
  let depth = 1;
  /** Only whitespace since the `{`: a key here is the first member. */
  let first = true;
  for (let at = open + 1; at < length; at++) {
    const byte = bytes[at] as number;
    if (byte === LF || byte === CR) return undefined;
    if (byte === SPACE || byte === TAB) continue;
    const wasFirst = first;
    first = false;
    switch (byte) {
      case QUOTE: {
        if (wasFirst && depth === 1 && bytes[at + 1] === U && startsWith(bytes, at, USAGE_NULL)) {
          const after = bytes[at + USAGE_NULL.length];
          if (after === COMMA) return [at, at + USAGE_NULL.length + 1];
          if (after === CLOSE_BRACE) return [at, at + USAGE_NULL.length];
        }
        // Past the string: a backslash escapes the byte after it.
        for (at++; at < length; at++) {
          const inString = bytes[at];
          if (inString === QUOTE) break;
          if (inString === LF || inString === CR) return undefined;
          if (inString === BACKSLASH) {
            at++;
            if (bytes[at] === LF || bytes[at] === CR) return undefined;
          }
        }
        break;
      }
      case COMMA:
        if (depth === 1 && bytes[at + 2] === U && startsWith(bytes, at, COMMA_USAGE_NULL)) {
          const after = bytes[at + COMMA_USAGE_NULL.length];
          if (after === COMMA || after === CLOSE_BRACE || isJsonSpace(after)) {
            return [at, at + COMMA_USAGE_NULL.length];
          }
        }
        break;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        depth++;
        break;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        depth--;
        // The object closed without the member: nothing of this event is cut.
        if (depth <= 0) return null;
        break;
    }
  }
  return undefined;
}

/** Whether `bytes` holds `pattern` at `at`. */
function startsWith(bytes: Buffer, at: number, pattern: Buffer): boolean {
  return (
    at + pattern.length <= bytes.length && bytes.compare(pattern, 0, pattern.length, at, at + pattern.length) === 0
  );
}

/** `bytes` without `[start, end)`. */
function cut(bytes: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(bytes.length - (end - start));
  bytes.copy(out, 0, 0, start);
  bytes.copy(out, start, end);
  return out;
}
