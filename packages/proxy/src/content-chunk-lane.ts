import { isUtf8 } from 'node:buffer';
import {
  plainChunkContent,
  plainTextDelta,
  type StreamAccumulator,
  type StreamEventKind,
  type StreamSummary,
} from '@llmeter/core/wire';

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSING_BRACE = 0x7d;
const DATA_FIELD = Buffer.from('data:');

/** The largest event the lane reads; larger ones go to the SSE parser (and its limits) as before. */
export const LANE_EVENT_BYTES_LIMIT = 64 * 1024;
/** Bytes of text gathered before they are handed to the accumulator in one piece (bounds what is held). */
const RUN_BYTES_LIMIT = 16 * 1024;
/** Templates learned per stream at most: a stream whose chunks keep changing shape is read the usual way. */
const MAX_TEMPLATES = 8;

/** Which events of a wire format the lane reads as bytes. */
export interface LaneRule {
  /** The member that holds the text, as the JSON names it. */
  readonly member: string;
  /** The text of a parsed event (with its SSE event name) when it is one the lane may read; else `undefined`. */
  readonly plainText: (event: unknown, eventName: string | undefined) => string | undefined;
  /**
   * Whether the spaces before the event's closing `}` may differ from the template's: Anthropic pads its events
   * with a varying run of spaces there (`…"text":"Hi"}      }`). A JSON object's last `}` closes the object,
   * so spaces right before it are whitespace between tokens, whatever their count: the event is the template's.
   */
  readonly paddedEnd: boolean;
}

/** OpenAI chat streams: plain content chunks (core's `plainChunkContent`), events without an event name. */
export const OPENAI_CHAT_LANE: LaneRule = {
  member: 'content',
  plainText: (event, eventName) => (eventName === undefined ? plainChunkContent(event) : undefined),
  paddedEnd: false,
};

/** Anthropic Messages streams: plain `text_delta` events (core's `plainTextDelta`), with their `event:` line. */
export const ANTHROPIC_MESSAGES_LANE: LaneRule = {
  member: 'text',
  plainText: plainTextDelta,
  paddedEnd: true,
};

/**
 * The fast lane of a stream's plain content events (OpenAI chat content chunks, or Anthropic text deltas: its
 * {@link LaneRule}), read as bytes: no text decoding, no SSE parse, no `JSON.parse`, no accumulator call per
 * chunk. Most of a stream's events are `data: {…"delta":{"content":"…"}…}` chunks that differ from one another
 * only in their text, and reading each of them as text and JSON was most of the CPU the proxy spent on a stream.
 *
 * It wraps the wire format's accumulator (and is handed out as one). Every event the accumulator takes the usual
 * way ({@link ContentChunkLane.pushRaw}) may become the lane's template: a plain content chunk (one choice, its
 * delta only a non-empty `content` without a quote, backslash or control character, no finish reason, usage
 * `null` or absent), written on one line, whose content string is found once in it, and a probe parse shows that
 * the same chunk with other text is read as that text. Then an event whose bytes are `data:` (one optional space),
 * the template's text before its content, other such text, and the template's text after it, then `\n\n`, is
 * that chunk with other text ({@link ContentChunkLane.take}): for the accumulator, whose state the template's own
 * chunk already set (its model, its open choice), such a chunk only adds its text. The lane gathers those texts
 * and hands them to the accumulator as one chunk of the template with the joined text before any other event and
 * before any summary: the summary is the one the accumulator would have given reading every chunk. Any other
 * event drops the template (a new one may be learned from it).
 *
 * (Told for OpenAI chat chunks. An Anthropic template is a plain `text_delta` event, core's `plainTextDelta`: its
 * `event:` line is part of the template, its `"text"` is the content, and the spaces before its final `}` may vary,
 * see {@link LaneRule.paddedEnd}.)
 */
export class ContentChunkLane implements StreamAccumulator {
  readonly #accumulator: StreamAccumulator;
  readonly #rule: LaneRule;
  /** The template's event name, and its `event:` line (empty without an event name). */
  #eventName: string | undefined;
  #head: Buffer = Buffer.alloc(0);
  /**
   * The template's bytes before the content (after `data:` and its optional space), and after it (with a padded
   * end, without the spaces and the `}` that end it).
   */
  #prefix: Buffer | undefined;
  #suffix: Buffer | undefined;
  #prefixText = '';
  #suffixText = '';
  /** {@link #prefix} and {@link #suffix}, compared four bytes at a time; made when first needed. */
  #prefixWords: BytePattern | undefined;
  #suffixWords: BytePattern | undefined;
  #templates = 0;
  /** Text bytes of chunks taken, not yet handed to the accumulator (each chunk's text is valid UTF-8). */
  #run: Buffer | undefined;
  #runLength = 0;
  /** Counts templates learned, so that a user of {@link ContentChunkLane.template} can tell a new one. */
  #generation = 0;

  /** The largest event (in bytes, its line without the blank line) it takes. */
  readonly #maxEventBytes: number;

  /**
   * @param maxEventBytes larger events are left to the parser: at most the parser's own limit on an event, so
   *   that every event the parser would drop as oversized still goes to it.
   */
  constructor(accumulator: StreamAccumulator, maxEventBytes = LANE_EVENT_BYTES_LIMIT, rule = OPENAI_CHAT_LANE) {
    this.#accumulator = accumulator;
    this.#rule = rule;
    this.#maxEventBytes = Math.min(maxEventBytes, LANE_EVENT_BYTES_LIMIT);
  }

  /** Whether a template is set (so that {@link take} may take an event). */
  get ready(): boolean {
    return this.#prefix !== undefined;
  }

  /** The length of the template's `event:` line (0 without one): the event's data line starts after it. */
  get headLength(): number {
    return this.#head.length;
  }

  /** Changes each time a template is learned. */
  get generation(): number {
    return this.#generation;
  }

  /** The template's data before and after the content, as text; `undefined` without a template. */
  get template(): { prefix: string; suffix: string } | undefined {
    return this.#prefix === undefined ? undefined : { prefix: this.#prefixText, suffix: this.#suffixText };
  }

  /**
   * Takes the event `bytes[start, lf + 2)` when it is the template's event with other text: `bytes[lf]` and
   * `bytes[lf + 1]` are LF (the caller found them), and the lane checks every byte before them, so a taken event
   * is its line (or its `event:` line and data line) then a blank line. The caller has made sure the SSE parser
   * it would otherwise go to is between events. Returns where the text starts when it took it, else -1.
   */
  take(bytes: Buffer, start: number, lf: number): number {
    const prefix = this.#prefix;
    const suffix = this.#suffix;
    if (prefix === undefined || suffix === undefined) return -1;
    const head = this.#head;
    const eventLength = lf - start;
    if (eventLength > this.#maxEventBytes || eventLength <= head.length + 5 + prefix.length + suffix.length) {
      return -1;
    }
    const dataStart = start + head.length;
    if ((head.length > 0 && !holds(bytes, start, head)) || !holds(bytes, dataStart, DATA_FIELD)) return -1;
    const prefixStart = bytes[dataStart + 5] === SPACE ? dataStart + 6 : dataStart + 5;
    const textStart = prefixStart + prefix.length;
    let suffixEnd = lf;
    if (this.#rule.paddedEnd) {
      if (bytes[lf - 1] !== CLOSING_BRACE) return -1;
      suffixEnd = lf - 1;
      while (bytes[suffixEnd - 1] === SPACE && suffixEnd > textStart) suffixEnd--;
    }
    const textEnd = suffixEnd - suffix.length;
    if (textEnd <= textStart) return -1;
    const view = sharedView(bytes);
    if (view === undefined) {
      if (!holds(bytes, textEnd, suffix)) return -1;
      if (bytes.compare(prefix, 0, prefix.length, prefixStart, textStart) !== 0) return -1;
    } else {
      const at = bytes.byteOffset;
      this.#suffixWords ??= new BytePattern(suffix);
      this.#prefixWords ??= new BytePattern(prefix);
      if (!this.#suffixWords.at(view, at + textEnd) || !this.#prefixWords.at(view, at + prefixStart)) return -1;
    }
    let ascii = true;
    for (let at = textStart; at < textEnd; at++) {
      const byte = bytes[at] as number;
      if (byte < SPACE || byte === QUOTE || byte === BACKSLASH) return -1;
      if (byte >= 0x80) ascii = false;
    }
    // Valid UTF-8 only: joined texts then decode to the texts each chunk decodes to.
    if (!ascii && !isUtf8(bytes.subarray(textStart, textEnd))) return -1;
    this.#append(bytes, textStart, textEnd);
    return textStart;
  }

  pushRaw(data: string, eventName?: string): StreamEventKind {
    this.#flush();
    this.#prefix = undefined;
    const kind = this.#accumulator.pushRaw(data, eventName);
    if (kind === 'content' && this.#templates < MAX_TEMPLATES) this.#learn(data, eventName);
    return kind;
  }

  push(data: unknown, eventName?: string): StreamEventKind {
    this.#flush();
    this.#prefix = undefined;
    return this.#accumulator.push(data, eventName);
  }

  summary(): StreamSummary {
    this.#flush();
    return this.#accumulator.summary();
  }

  #append(bytes: Buffer, start: number, end: number): void {
    const length = end - start;
    let run = this.#run;
    if (run === undefined || this.#runLength + length > run.length) {
      if (run !== undefined && this.#runLength > 0 && this.#runLength + length > RUN_BYTES_LIMIT) {
        this.#flush();
        run = this.#run;
      }
      if (run === undefined || this.#runLength + length > run.length) {
        const grown = Buffer.allocUnsafe(Math.max(1024, (this.#runLength + length) * 2));
        if (run !== undefined) run.copy(grown, 0, 0, this.#runLength);
        this.#run = run = grown;
      }
    }
    if (length <= 16) {
      for (let at = 0; at < length; at++) run[this.#runLength + at] = bytes[start + at] as number;
    } else {
      bytes.copy(run, this.#runLength, start, end);
    }
    this.#runLength += length;
  }

  /** Hands the gathered texts to the accumulator: one chunk of the template carrying them joined. */
  #flush(): void {
    if (this.#runLength === 0 || this.#run === undefined) return;
    const text = this.#run.toString('utf8', 0, this.#runLength);
    this.#runLength = 0;
    this.#accumulator.pushRaw(`${this.#prefixText}${text}${this.#suffixText}`, this.#eventName);
  }

  /**
   * Makes `data` (an event the accumulator just took as content) the template, when it is a plain content event
   * of the lane's rule.
   */
  #learn(data: string, eventName: string | undefined): void {
    if (data.includes('\n') || data.includes('\r')) return;
    if (eventName !== undefined && (eventName.includes('\n') || eventName.includes('\r'))) return;
    const rule = this.#rule;
    const content = rule.plainText(parse(data), eventName);
    if (content === undefined) return;
    const member = `"${rule.member}":"`;
    const written = `${member}${content}"`;
    const at = data.indexOf(written);
    if (at === -1 || data.indexOf(written, at + 1) !== -1) return;
    const prefixText = data.slice(0, at + member.length);
    const suffixText = data.slice(at + written.length - 1);
    let suffix = suffixText;
    let probeSuffix = suffixText;
    if (rule.paddedEnd) {
      // The final `}` and the spaces before it are matched apart (their count varies); the probe adds one.
      if (!suffixText.endsWith('}')) return;
      suffix = suffixText.slice(0, -1).trimEnd();
      probeSuffix = `${suffixText.slice(0, -1)} }`;
      if (suffix.length === 0 || !/^ *$/.test(suffixText.slice(suffix.length, -1))) return;
    }
    // The content found is the one a parse reads (not a look-alike elsewhere in the event): proven by one parse.
    if (rule.plainText(parse(`${prefixText}${content}x${probeSuffix}`), eventName) !== `${content}x`) return;
    this.#templates++;
    this.#generation++;
    this.#eventName = eventName;
    this.#head = Buffer.from(eventName === undefined ? '' : `event: ${eventName}\n`);
    this.#prefixText = prefixText;
    this.#suffixText = suffixText;
    this.#prefix = Buffer.from(prefixText);
    this.#suffix = Buffer.from(suffix);
    this.#prefixWords = undefined;
    this.#suffixWords = undefined;
  }
}

/**
 * A byte pattern compared four bytes at a time through a `DataView` (unaligned reads are fine): a template's
 * prefix is a couple of hundred bytes, which a loop of byte reads or `Buffer#compare` (argument checks and a
 * native call per event) takes about twice as long to compare.
 */
class BytePattern {
  /** The pattern's bytes read as little-endian 32-bit words, then its last `length % 4` bytes one by one. */
  readonly #words: Int32Array;
  readonly #tail: Uint8Array;

  constructor(pattern: Buffer) {
    const count = pattern.length >> 2;
    const view = new DataView(pattern.buffer, pattern.byteOffset, pattern.length);
    this.#words = new Int32Array(count);
    for (let i = 0; i < count; i++) this.#words[i] = view.getInt32(i * 4, true);
    this.#tail = Uint8Array.from(pattern.subarray(count * 4));
  }

  /** Whether `view` holds the pattern at byte `offset` of its buffer (the caller made sure it fits). */
  at(view: DataView, offset: number): boolean {
    const words = this.#words;
    const count = words.length;
    for (let i = 0; i < count; i++) if (view.getInt32(offset + i * 4, true) !== words[i]) return false;
    const tail = this.#tail;
    const tailAt = offset + count * 4;
    for (let i = 0; i < tail.length; i++) if (view.getUint8(tailAt + i) !== tail[i]) return false;
    return true;
  }
}

/**
 * A `DataView` of the memory under `bytes` when an earlier event came from the same memory (the events of one
 * socket read share it), else `undefined`: a view costs about what it saves on one event, so an event alone in its
 * read (a stream whose events arrive spaced) is compared without one. Only the last memory seen is kept, until
 * an event from other memory comes.
 */
let lastMemory: ArrayBufferLike | undefined;
let lastView: DataView | undefined;
function sharedView(bytes: Buffer): DataView | undefined {
  const memory = bytes.buffer;
  if (memory !== lastMemory) {
    lastMemory = memory;
    lastView = undefined;
    return undefined;
  }
  if (lastView === undefined) lastView = new DataView(memory);
  return lastView;
}

/**
 * Whether `bytes` holds `pattern` at `at` (the caller made sure it fits). A loop, for short patterns: on a few dozen
 * bytes, `Buffer#compare` spends more on its argument checks and native call than on comparing.
 */
function holds(bytes: Buffer, at: number, pattern: Buffer): boolean {
  const length = pattern.length;
  for (let i = 0; i < length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
