import { type SseEvent, SseParser, type StreamAccumulator, type StreamUsageOption } from '@llmeter/core/wire';

/**
 * The request body, asking its stream for usage as the wire format's `option` says (OpenAI:
 * `stream_options.include_usage: true`). When the body has no member of the option's name, the member is
 * inserted first and every other byte stays as the client wrote it (numbers too big for a double stay exact);
 * otherwise the body is re-serialized with the option merged into the client's.
 */
export function withStreamUsageAsked(raw: Buffer, body: Record<string, unknown>, option: StreamUsageOption): Buffer {
  const { name, value } = option.member;
  if (!Object.hasOwn(body, name)) {
    const brace = raw.indexOf(123 /* { */);
    if (brace !== -1) {
      const closing = raw.indexOf(125 /* } */, brace + 1);
      // `{}` with nothing inside takes no trailing comma.
      const empty =
        closing !== -1 &&
        raw
          .subarray(brace + 1, closing)
          .toString()
          .trim() === '';
      const member = `${JSON.stringify(name)}:${JSON.stringify(value)}${empty ? '' : ','}`;
      return Buffer.concat([raw.subarray(0, brace + 1), Buffer.from(member), raw.subarray(brace + 1)]);
    }
  }
  return Buffer.from(JSON.stringify(option.ask(body)));
}

const LF = 10;
const CR = 13;
const USAGE_NULL = Buffer.from('"usage":null');

/** What {@link UsageChunkFilter.push} gives back for one upstream chunk. */
export interface FilteredChunk {
  /** The bytes to send to the client now; empty while an event is incomplete or when all were hidden. */
  bytes: Buffer;
  /** Whether those bytes hold a `content` event (time to first token). */
  content: boolean;
}

/**
 * Turns an upstream stream that carries usage because the proxy asked for it back into the stream the client
 * asked for: the `usage_only` chunk is dropped and the `"usage":null` member the option adds to every other
 * chunk is cut out, so the client's bytes are those of a direct call. Every event is also fed to `accumulator`
 * (which therefore sees the usage). Each event is forwarded as soon as its closing blank line arrives; bytes
 * of an event that is not JSON are forwarded untouched.
 */
export class UsageChunkFilter {
  readonly #accumulator: StreamAccumulator;
  readonly #parser: SseParser;
  #events: SseEvent[] = [];
  /** Bytes of the current, incomplete event. */
  #pending: Buffer[] = [];
  /** The last byte seen ended a line (so a line ending now is a blank line, closing the event). */
  #atLineStart = true;
  /** The last byte seen was CR (so an LF now is the rest of a CRLF). */
  #afterCr = false;

  constructor(accumulator: StreamAccumulator) {
    this.#accumulator = accumulator;
    this.#parser = new SseParser((event) => this.#events.push(event));
  }

  /** Takes the next upstream chunk; returns what the client gets now. */
  push(chunk: Buffer): FilteredChunk {
    const out: Buffer[] = [];
    let content = false;
    let start = 0;
    for (const end of this.#eventEnds(chunk)) {
      const piece = chunk.subarray(start, end);
      start = end;
      const event = this.#pending.length === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#pending = [];
      const forwarded = this.#filterEvent(event);
      if (forwarded === undefined) continue;
      if (forwarded.content) content = true;
      out.push(forwarded.bytes);
    }
    if (start < chunk.length) this.#pending.push(start === 0 ? chunk : chunk.subarray(start));
    return { bytes: out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out), content };
  }

  /** The stream ended: an incomplete last event goes to the client as it came (it is not an event per SSE). */
  end(): Buffer {
    this.#parser.end();
    const rest = Buffer.concat(this.#pending);
    this.#pending = [];
    return rest;
  }

  /** Offsets just past each blank line of `chunk` (event ends), carrying line state across chunks. */
  #eventEnds(chunk: Buffer): number[] {
    const ends: number[] = [];
    if (!chunk.includes(CR) && !this.#afterCr) {
      // The usual LF-only stream: jump from LF to LF. -1 stands for "the byte before this chunk ended a line".
      let previousLf = this.#atLineStart ? -1 : -2;
      for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
        if (previousLf === at - 1) ends.push(at + 1);
        previousLf = at;
      }
      this.#atLineStart = previousLf === chunk.length - 1;
      return ends;
    }
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && this.#afterCr) {
        this.#afterCr = false;
        continue;
      }
      this.#afterCr = byte === CR;
      if (byte === LF || byte === CR) {
        if (this.#atLineStart) {
          // A blank line. When it is a CR, a following LF belongs to it: it opens the next piece, where the
          // parser skips it as the rest of a CRLF.
          ends.push(i + 1);
        }
        this.#atLineStart = true;
      } else {
        this.#atLineStart = false;
      }
    }
    return ends;
  }

  #filterEvent(bytes: Buffer): FilteredChunk | undefined {
    this.#events.length = 0;
    this.#parser.push(bytes);
    let content = false;
    let usageOnly = false;
    for (const event of this.#events) {
      const kind = this.#accumulator.pushRaw(event.data, event.event);
      if (kind === 'content') content = true;
      else if (kind === 'usage_only') usageOnly = true;
    }
    if (usageOnly && this.#events.length === 1) return undefined;
    if (bytes.indexOf(USAGE_NULL) === -1) return { bytes, content };
    return { bytes: withoutTopLevelUsageNull(bytes), content };
  }
}

/**
 * An event's bytes without the top-level `"usage":null` member of its JSON data (and the comma that joined it).
 * Events whose JSON does not have one at the top level come back unchanged.
 */
export function withoutTopLevelUsageNull(bytes: Buffer): Buffer {
  const text = bytes.toString('utf8');
  const open = text.indexOf('{');
  if (open === -1) return bytes;
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92 /* \ */) i++;
      else if (char === 34 /* " */) inString = false;
      continue;
    }
    if (char === 123 /* { */ || char === 91 /* [ */) depth++;
    else if (char === 125 /* } */ || char === 93 /* ] */) {
      depth--;
      if (depth === 0) return bytes;
    } else if (char === 34 /* " */) {
      if (depth === 1 && text.startsWith('"usage":null', i)) {
        const after = i + USAGE_NULL.length;
        const next = text.charCodeAt(after);
        if (next !== 44 /* , */ && next !== 125 /* } */) {
          inString = true;
          continue;
        }
        let from = i;
        let to = after;
        if (next === 44) to++;
        else if (text.charCodeAt(i - 1) === 44) from--;
        return Buffer.from(text.slice(0, from) + text.slice(to));
      }
      inString = true;
    }
  }
  return bytes;
}
