/**
 * Reading the members of a JSON object straight from its bytes, so that a request body can be edited in place:
 * every byte the edit does not touch stays as the client wrote it (numbers beyond 2^53, `\u00e9` escapes, key
 * order, whitespace), which a parse and re-serialization would change. The scanner is iterative (a body nested
 * 10,000 levels deep costs a counter, not a stack frame per level) and works on bytes: every byte of a multi-byte
 * UTF-8 character is 0x80 or above, so none is mistaken for JSON punctuation.
 */

/** JSON's punctuation bytes (the request body scanner here and the usage cutter read bytes, not text). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

/** One member of an object, as offsets into the bytes (`end`s are exclusive). */
export interface JsonMember {
  /** The key's string, quotes included. */
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** The bytes are not the JSON the scanner was told they are. */
export class JsonBytesError extends Error {
  override readonly name = 'JsonBytesError';
}

/** JSON whitespace: space, tab, LF, CR. */
export function isJsonSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The offset of the first non-whitespace byte at or after `from` (`bytes.length` if none). */
export function skipSpace(bytes: Buffer, from: number): number {
  let at = from;
  while (at < bytes.length && isJsonSpace(bytes[at])) at++;
  return at;
}

/**
 * The members of the object whose `{` is at `open`, in order.
 * @throws {JsonBytesError} when the bytes there are not a JSON object.
 */
export function objectMembers(bytes: Buffer, open: number): JsonMember[] {
  if (bytes[open] !== OPEN_BRACE) throw new JsonBytesError(`no object at offset ${open}`);
  const members: JsonMember[] = [];
  let at = skipSpace(bytes, open + 1);
  if (bytes[at] === CLOSE_BRACE) return members;
  for (;;) {
    if (bytes[at] !== QUOTE) throw new JsonBytesError(`no key at offset ${at}`);
    const keyStart = at;
    const keyEnd = stringEnd(bytes, at);
    at = skipSpace(bytes, keyEnd);
    if (bytes[at] !== COLON) throw new JsonBytesError(`no colon at offset ${at}`);
    const valueStart = skipSpace(bytes, at + 1);
    const valueEnd = valueEndAt(bytes, valueStart);
    members.push({ keyStart, keyEnd, valueStart, valueEnd });
    at = skipSpace(bytes, valueEnd);
    if (bytes[at] === CLOSE_BRACE) return members;
    if (bytes[at] !== COMMA) throw new JsonBytesError(`no comma at offset ${at}`);
    at = skipSpace(bytes, at + 1);
  }
}

/** Whether a member's key is `name` (escapes in the key are decoded, as `JSON.parse` would). */
export function keyIs(bytes: Buffer, member: JsonMember, name: string): boolean {
  const raw = bytes.subarray(member.keyStart + 1, member.keyEnd - 1);
  if (!raw.includes(BACKSLASH)) return raw.equals(Buffer.from(name));
  return JSON.parse(bytes.toString('utf8', member.keyStart, member.keyEnd)) === name;
}

/** The last member named `name` (the one `JSON.parse` keeps when a key repeats), or `undefined`. */
export function lastMemberNamed(bytes: Buffer, members: JsonMember[], name: string): JsonMember | undefined {
  for (let index = members.length - 1; index >= 0; index--) {
    const member = members[index] as JsonMember;
    if (keyIs(bytes, member, name)) return member;
  }
  return undefined;
}

/** The offset just past the string whose opening quote is at `open`. */
function stringEnd(bytes: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote === -1) throw new JsonBytesError(`unterminated string at offset ${open}`);
    // The quote closes the string unless an odd number of backslashes escapes it.
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The offset just past the value starting at `start`: an object or array is skipped with a depth counter. */
function valueEndAt(bytes: Buffer, start: number): number {
  const first = bytes[start];
  if (first === QUOTE) return stringEnd(bytes, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let at = start; at < bytes.length; at++) {
      const byte = bytes[at];
      if (byte === QUOTE) at = stringEnd(bytes, at) - 1;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return at + 1;
      }
    }
    throw new JsonBytesError(`unterminated value at offset ${start}`);
  }
  let at = start;
  while (at < bytes.length) {
    const byte = bytes[at];
    if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isJsonSpace(byte)) break;
    at++;
  }
  if (at === start) throw new JsonBytesError(`no value at offset ${start}`);
  return at;
}
