import { type SseEvent, SseParser, type StreamAccumulator, type StreamUsageOption } from '@llmeter/core/wire';
import { ContentChunkLane } from './content-chunk-lane.js';
import { JsonBytesError, lastMemberNamed, objectMembers, skipSpace } from './json-members.js';
import { oneLineUsageNullCut, USAGE_NULL, UsageNullCutter, withoutTopLevelUsageNull } from './usage-null-cutter.js';

export { withoutTopLevelUsageNull } from './usage-null-cutter.js';

/** One edit of the request bytes: `bytes[start, end)` becomes `text`. */
interface ByteEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * The request body, asking its stream for usage as the wire format's `option` says (OpenAI:
 * `stream_options.include_usage: true`), edited in its bytes: every byte but the edit stays as the client wrote
 * it (numbers too big for a double, `\u00e9` escapes, key order, whitespace). `body` is the same bytes, parsed.
 *
 * - No member of the option's name: the member is inserted first (`{"stream_options":{"include_usage":true},…`).
 * - The member is an object: each of the option's fields is inserted first in it, or, when the client set it to
 *   something else (`"include_usage":false`), its value is replaced.
 * - The member is something else (`null`, a string): its value is replaced by the option's.
 *
 * Where a key repeats, the last one is edited: that is the one `JSON.parse` (and so the provider) reads. The
 * body is scanned iteratively, so a body nested thousands of levels deep costs no stack. Bytes that do not scan
 * as the JSON object `body` came from (never, for a body `JSON.parse` read) are sent as they came.
 */
export function withStreamUsageAsked(raw: Buffer, body: Record<string, unknown>, option: StreamUsageOption): Buffer {
  const open = skipSpace(raw, 0);
  if (raw[open] !== 123 /* { */) return raw;
  // The usual body, without the member: only where the object opens matters, the rest is not even scanned.
  if (!Object.hasOwn(body, option.member.name)) return withMemberFirst(raw, open, option);
  let edits: ByteEdit[] | undefined;
  try {
    edits = streamUsageEdits(raw, open, option);
  } catch (error) {
    if (error instanceof JsonBytesError) return raw;
    throw error;
  }
  if (edits === undefined) return withMemberFirst(raw, open, option);
  edits.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const edit of edits) {
    parts.push(raw.subarray(at, edit.start), Buffer.from(edit.text));
    at = edit.end;
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}

/**
 * The bytes of `"name":value` inserted first in an object, with a comma when it has members; made once per option.
 * Stringified, sorted and joined for each request, the edit held an injected stream's request back by 4-6 µs more
 * on a proxy idle for milliseconds (`bench/proxy-overhead.mjs --only ttfb --pin`, both builds in both slots).
 */
const insertions = new WeakMap<StreamUsageOption, { withComma: Buffer; alone: Buffer }>();

/** `raw` with the option's member inserted first in the object that opens at `open`, copied once into one buffer. */
function withMemberFirst(raw: Buffer, open: number, option: StreamUsageOption): Buffer {
  let bytes = insertions.get(option);
  if (bytes === undefined) {
    const { name, value } = option.member;
    const member = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
    bytes = { withComma: Buffer.from(`${member},`), alone: Buffer.from(member) };
    insertions.set(option, bytes);
  }
  const inserted = raw[skipSpace(raw, open + 1)] !== 125 /* } */ ? bytes.withComma : bytes.alone;
  const sent = Buffer.allocUnsafe(raw.length + inserted.length);
  raw.copy(sent, 0, 0, open + 1);
  inserted.copy(sent, open + 1);
  raw.copy(sent, open + 1 + inserted.length, open + 1);
  return sent;
}

/**
 * The edits that ask for usage in a body that has the option's member (the object opening at `open`);
 * `undefined` when its bytes hold no member of that name after all.
 */
function streamUsageEdits(raw: Buffer, open: number, option: StreamUsageOption): ByteEdit[] | undefined {
  const { name, value } = option.member;
  const existing = lastMemberNamed(raw, objectMembers(raw, open), name);
  if (existing === undefined) return undefined;
  if (raw[existing.valueStart] !== 123 /* { */) {
    return [{ start: existing.valueStart, end: existing.valueEnd, text: JSON.stringify(value) }];
  }
  const inner = objectMembers(raw, existing.valueStart);
  const edits: ByteEdit[] = [];
  // Fields inserted at the same offset go in the option's order.
  const inserted: string[] = [];
  for (const [field, fieldValue] of Object.entries(value)) {
    const member = lastMemberNamed(raw, inner, field);
    if (member === undefined) inserted.push(`${JSON.stringify(field)}:${JSON.stringify(fieldValue)}`);
    else edits.push({ start: member.valueStart, end: member.valueEnd, text: JSON.stringify(fieldValue) });
  }
  if (inserted.length > 0) {
    const text = inserted.join(',') + (inner.length > 0 ? ',' : '');
    edits.push({ start: existing.valueStart + 1, end: existing.valueStart + 1, text });
  }
  return edits;
}

const LF = 10;
const CR = 13;
const CARRIED_LF = Buffer.from([LF]);
/** A `usage` key as a member name (bytes), and where an escape could spell one otherwise. */
const USAGE_KEY = Buffer.from('"usage"');
const UNICODE_ESCAPE = Buffer.from('\\u');
/** The kinds of events one read saw, as flags (no object for each event). */
const CONTENT = 1;
const USAGE_ONLY = 2;

/**
 * The most bytes of one event {@link UsageChunkFilter} holds back to read it whole: 1 MiB. Events of the streams
 * it filters (OpenAI chat and legacy completions chunks) are a few hundred bytes, and the `include_usage` chunk
 * it removes is under 1 KB; a bigger event cannot be that chunk, so it is forwarded as its bytes arrive
 * (without the `"usage":null` member, cut on the fly) and left out of the measurement. Without this bound, a
 * stream without event boundaries (one endless line, data lines without a blank line) would be held whole,
 * the client getting nothing until the upstream ended.
 */
export const USAGE_FILTER_EVENT_BYTES_LIMIT = 1024 * 1024;

/**
 * The most bytes that wait for a stream's first event to be read (see {@link UsageChunkFilter.push}): one socket
 * read's worth (Node reads 64 KiB at a time), which is all that can come before the proxy writes that event.
 */
const WAITING_BYTES_LIMIT = 64 * 1024;

const NOTHING: FilteredChunk = { bytes: Buffer.alloc(0), content: false };

/** What {@link UsageChunkFilter.push} gives back for one upstream chunk. */
export interface FilteredChunk {
  /** The bytes to send to the client now; empty while an event is incomplete or when all were hidden. */
  bytes: Buffer;
  /** Whether those bytes hold a `content` event (time to first token). */
  content: boolean;
}

/**
 * Turns an upstream stream that carries usage because the proxy asked for it back into the stream the client
 * asked for: the `usage_only` chunk (as the wire format's accumulator tells it) is dropped and the
 * `"usage":null` member the option adds to every other chunk is cut out, so the client's bytes are those of a
 * direct call. Every event is also fed to `accumulator` (which therefore sees the usage); given as a function, it
 * is made when the first event is read (not in the turn the stream's head came in, ahead of its first bytes).
 *
 * Each event is held until its closing blank line (a client cannot use an event before it either), then
 * forwarded; bytes of an event that is not JSON are forwarded untouched. An event that grows past
 * `maxEventBytes` is forwarded from then on as its bytes arrive, and not measured: only a complete, small,
 * parsed `usage_only` event is ever removed.
 */
export class UsageChunkFilter {
  /** The accumulator, or what makes it (and the parser with it) when the first event is read. */
  #accumulator: StreamAccumulator | (() => StreamAccumulator);
  #parser: SseParser | undefined;
  readonly #maxEventBytes: number;
  #events: SseEvent[] = [];
  /** Bytes of the current, incomplete event. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Set while the current event, over the limit, streams through unread. */
  #passing: UsageNullCutter | undefined;
  /** Events left out of the measurement because they were over the limit. */
  #unmeasured = 0;
  /** The last byte seen ended a line (so a line ending now is a blank line, closing the event). */
  #atLineStart = true;
  /** The last byte seen was CR (so an LF now is the rest of a CRLF). */
  #afterCr = false;
  /** The last event ended in a CR, so an LF next belongs to it: forwarded (`keep`) or dropped with it. */
  #carry: 'none' | 'keep' | 'drop' = 'none';
  /** Given a {@link ContentChunkLane} as its accumulator: plain content chunks are read by it, as bytes. */
  #lane: ContentChunkLane | undefined;
  /** The parser is between events (the last event it was given ended in `\n\n`): the lane may take the next. */
  #parserBetweenEvents = false;
  /** How the lane's current template reaches the client (its `"usage":null` cut); for template {@link #cutOf}. */
  #laneCut: LaneCut | undefined;
  #cutOf = -1;
  /** Nothing was read yet: no choice can have finished, so an event with `"usage":null` is not the usage chunk. */
  #nothingRead = true;
  /** The stream's first event, forwarded before it was read (see {@link UsageChunkFilter.readLater}). */
  #unread: Buffer | undefined;
  /** An event read after it was forwarded, or filtered after it waited, was a `content` one (not told yet). */
  #laterContent = false;
  /** Chunks that came while the stream's first event was forwarded unread: filtered once it is read. */
  #waiting: Buffer[] = [];
  #waitingBytes = 0;

  constructor(
    accumulator: StreamAccumulator | (() => StreamAccumulator),
    maxEventBytes = USAGE_FILTER_EVENT_BYTES_LIMIT,
  ) {
    this.#accumulator = accumulator;
    this.#maxEventBytes = maxEventBytes;
    if (typeof accumulator !== 'function') this.#readWith(accumulator);
  }

  /** The accumulator the events are fed to (made now, if it was to be made when first needed). */
  get accumulator(): StreamAccumulator {
    const accumulator = this.#accumulator;
    return typeof accumulator === 'function' ? this.#readWith(accumulator()) : accumulator;
  }

  #readWith(accumulator: StreamAccumulator): StreamAccumulator {
    this.#accumulator = accumulator;
    this.#parser = new SseParser((event) => this.#events.push(event));
    this.#lane = accumulator instanceof ContentChunkLane ? accumulator : undefined;
    return accumulator;
  }

  /** Events forwarded without being measured, because they were larger than the limit. */
  get unmeasuredEvents(): number {
    return this.#unmeasured;
  }

  /** Bytes held back: of the event being read, and chunks waiting (never more than the limit). */
  get buffered(): number {
    return this.#pendingBytes + this.#waitingBytes;
  }

  /**
   * Takes the next upstream chunk; returns what the client gets now. The chunk is the filter's from then on: the
   * bytes returned may be its own memory, edited in place (the caller must not read it again).
   *
   * After the stream's first event went out unread, the chunks that follow wait for it to be read, and are
   * filtered then ({@link readLater}, once those first bytes left; or {@link end}): in the turn they came in,
   * reading the stream's first JSON, with cold code, would hold its first bytes back by as long (80 µs measured
   * on a proxy idle for milliseconds). They wait within a bound (64 KiB, and the event limit), past which the
   * first event is read and everything is filtered at once.
   */
  push(chunk: Buffer): FilteredChunk {
    if (this.#unread !== undefined) {
      const bound = Math.min(WAITING_BYTES_LIMIT, this.#maxEventBytes);
      if (this.#pendingBytes + this.#waitingBytes + chunk.length <= bound) {
        this.#waiting.push(chunk);
        this.#waitingBytes += chunk.length;
        return NOTHING;
      }
      this.#waiting.push(chunk);
      return { bytes: this.#catchUp(), content: false };
    }
    return this.#filter(chunk);
  }

  #filter(chunk: Buffer): FilteredChunk {
    const one = this.#oneLaneEvent(chunk);
    if (one !== undefined) return one;
    const out: Buffer[] = [];
    let content = false;
    let start = 0;
    const lane = this.#lane;
    const ends = this.#eventEnds(chunk);
    const lastEnd = ends[ends.length - 1];
    for (const end of ends) {
      if (
        lane?.ready === true &&
        this.#parserBetweenEvents &&
        this.#carry === 'none' &&
        this.#pending.length === 0 &&
        this.#passing === undefined &&
        end - start <= this.#maxEventBytes &&
        this.#fromLane(lane, chunk, start, end, out)
      ) {
        content = true;
        start = end;
        continue;
      }
      const piece = this.#afterCarriedLf(chunk.subarray(start, end), out);
      start = end;
      if (this.#passing === undefined && this.#pendingBytes + piece.length > this.#maxEventBytes) this.#pass(out);
      const passing = this.#passing;
      if (passing !== undefined) {
        out.push(passing.push(piece), passing.end());
        this.#passing = undefined;
        this.#carry = piece[piece.length - 1] === CR ? 'keep' : 'none';
        continue;
      }
      const event = this.#pending.length === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#pending = [];
      this.#pendingBytes = 0;
      // The stream's first event, when this chunk ends with it, goes out before it is read: reading it (the
      // first JSON of the stream, with cold code) would hold the stream's first bytes back by as long.
      const forwarded = (end === lastEnd && this.#forwardedUnread(event)) || this.#filterEvent(event);
      // An event ending in a CR may have an LF next, the rest of its CRLF: it goes where the event went.
      const endsInCr = event[event.length - 1] === CR;
      this.#carry = endsInCr ? (forwarded === undefined ? 'drop' : 'keep') : 'none';
      if (forwarded === undefined) continue;
      if (forwarded.content) content = true;
      out.push(forwarded.bytes);
    }
    if (start < chunk.length) {
      const rest = this.#afterCarriedLf(start === 0 ? chunk : chunk.subarray(start), out);
      if (this.#passing === undefined && this.#pendingBytes + rest.length > this.#maxEventBytes) this.#pass(out);
      if (this.#passing !== undefined) out.push(this.#passing.push(rest));
      else {
        this.#pending.push(rest);
        this.#pendingBytes += rest.length;
      }
    }
    const bytes = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
    return { bytes, content };
  }

  /**
   * The stream ended: what still waited is filtered, and an incomplete last event goes to the client as it came
   * (it is not an event per SSE). Whether what waited held a `content` event, {@link readLater} tells.
   */
  end(): Buffer {
    const caughtUp = this.#catchUp();
    this.#parser?.end();
    const rest = this.#passing === undefined ? Buffer.concat(this.#pending) : this.#passing.end();
    this.#passing = undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
    return caughtUp.length === 0 ? rest : Buffer.concat([caughtUp, rest]);
  }

  /**
   * `piece` without its first byte when that is the LF of the previous event's closing CRLF (the blank line ends
   * at its CR, so the LF opens the next piece): it is forwarded to `out` if that event was, dropped if it was.
   */
  #afterCarriedLf(piece: Buffer, out: Buffer[]): Buffer {
    if (this.#carry === 'none' || piece.length === 0) return piece;
    const carry = this.#carry;
    this.#carry = 'none';
    if (piece[0] !== LF) return piece;
    if (carry === 'keep') out.push(CARRIED_LF);
    return piece.subarray(1);
  }

  /** The current event is over the limit: what was held goes out now, and the rest of it as it comes. */
  #pass(out: Buffer[]): void {
    const passing = new UsageNullCutter();
    for (const held of this.#pending) out.push(passing.push(held));
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#passing = passing;
    this.#unmeasured++;
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

  /**
   * The usual chunk of a stream, one whole event (`data: …\n\n`) that the lane takes, read and cut without the
   * general loop's bookkeeping; `undefined` for any other chunk (or state).
   */
  #oneLaneEvent(chunk: Buffer): FilteredChunk | undefined {
    const lane = this.#lane;
    const length = chunk.length;
    if (
      lane?.ready !== true ||
      !this.#parserBetweenEvents ||
      !this.#atLineStart ||
      this.#afterCr ||
      this.#carry !== 'none' ||
      this.#pending.length > 0 ||
      this.#passing !== undefined ||
      length > this.#maxEventBytes ||
      chunk[length - 1] !== LF ||
      chunk[length - 2] !== LF
    ) {
      return undefined;
    }
    const cut = this.#cutFor(lane);
    if (cut === undefined) return undefined;
    // The lane checks every byte before the blank line (no LF among them), so this is one event.
    const lf = length - 2;
    const textStart = lane.take(chunk, 0, lf);
    if (textStart === -1) return undefined;
    switch (cut.where) {
      case 'none':
        return { bytes: chunk, content: true };
      case 'suffix': {
        // The chunk is the proxy's own copy of the upstream's bytes, read by nothing else: the shorter suffix is
        // written over the original one in place (no new buffer, no native copy call for a few dozen bytes).
        const textEnd = lf - cut.suffixLength;
        const suffix = cut.bytes;
        for (let at = 0; at < suffix.length; at++) chunk[textEnd + at] = suffix[at] as number;
        return { bytes: chunk.subarray(0, textEnd + suffix.length), content: true };
      }
      case 'prefix': {
        const prefixStart = textStart - cut.prefixLength;
        return {
          bytes: Buffer.concat([chunk.subarray(0, prefixStart), cut.bytes, chunk.subarray(textStart)]),
          content: true,
        };
      }
    }
  }

  /** How the lane's current template reaches the client (worked out once per template). */
  #cutFor(lane: ContentChunkLane): LaneCut | undefined {
    if (this.#cutOf !== lane.generation) {
      this.#cutOf = lane.generation;
      this.#laneCut = laneCut(lane);
    }
    return this.#laneCut;
  }

  /**
   * Forwards the event `chunk[start, end)` when the lane takes it (a plain content chunk of its template), cut as
   * {@link withoutTopLevelUsageNull} cuts it: where the template's member is, found once per template, since only
   * the JSON's structure decides it. Says whether it did.
   */
  #fromLane(lane: ContentChunkLane, chunk: Buffer, start: number, end: number, out: Buffer[]): boolean {
    // The lane checks every byte before the blank line (no LF among them), so this is one event.
    const lf = end - 2;
    if (chunk[lf] !== LF || chunk[end - 1] !== LF) return false;
    const laneCutNow = this.#cutFor(lane);
    if (laneCutNow === undefined) return false;
    const textStart = lane.take(chunk, start, lf);
    if (textStart === -1) return false;
    switch (laneCutNow.where) {
      case 'none':
        out.push(chunk.subarray(start, end));
        break;
      case 'suffix':
        out.push(chunk.subarray(start, lf - laneCutNow.suffixLength), laneCutNow.bytes);
        break;
      case 'prefix':
        out.push(
          chunk.subarray(start, textStart - laneCutNow.prefixLength),
          laneCutNow.bytes,
          chunk.subarray(textStart, end),
        );
        break;
    }
    return true;
  }

  /**
   * Reads the event the filter forwarded unread, if any, now that it is on its way, and filters the chunks that
   * waited for it (the proxy calls this once it wrote the bytes `push` gave back; `push` and `end` call it too, so
   * events are always read in order). Gives back what the client gets of the chunks that waited, and whether an
   * event read this way since the last call was a `content` one, which `push` did not tell.
   */
  readLater(): FilteredChunk {
    const bytes = this.#catchUp();
    const content = this.#laterContent;
    this.#laterContent = false;
    return bytes.length === 0 && !content ? NOTHING : { bytes, content };
  }

  /** Reads the event forwarded unread and filters the chunks that waited for it; gives back what they let through. */
  #catchUp(): Buffer {
    const event = this.#unread;
    if (event === undefined) return NOTHING.bytes;
    this.#unread = undefined;
    if ((this.#read(event) & CONTENT) !== 0) this.#laterContent = true;
    const waiting = this.#waiting;
    if (waiting.length === 0) return NOTHING.bytes;
    this.#waiting = [];
    this.#waitingBytes = 0;
    const out: Buffer[] = [];
    for (const chunk of waiting) {
      const filtered = this.#filter(chunk);
      if (filtered.content) this.#laterContent = true;
      if (filtered.bytes.length > 0) out.push(filtered.bytes);
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /**
   * The stream's first event without its `"usage":null`, to be read later ({@link readLater}); `undefined` when it
   * must be read first. Only the usage chunk is ever dropped, and with nothing read before it, no choice has
   * finished: an event whose one `usage` member is the top-level `null` cut here cannot be that chunk. Any other
   * mention of `usage` (a second member, a nested one, an escape that could spell one) is read first instead.
   */
  #forwardedUnread(event: Buffer): FilteredChunk | undefined {
    if (!this.#nothingRead || this.#unread !== undefined) return undefined;
    const range = oneLineUsageNullCut(event);
    if (!Array.isArray(range)) return undefined;
    const key = event.indexOf(USAGE_KEY);
    if (event.indexOf(USAGE_KEY, key + 1) !== -1 || event.indexOf(UNICODE_ESCAPE) !== -1) return undefined;
    // Nothing looks at the parser's state before this event is read: `push`, `end` and `readLater` read it first.
    this.#nothingRead = false;
    this.#unread = event;
    const [start, end] = range;
    return { bytes: Buffer.concat([event.subarray(0, start), event.subarray(end)]), content: false };
  }

  #filterEvent(bytes: Buffer): FilteredChunk | undefined {
    const kinds = this.#read(bytes);
    if ((kinds & USAGE_ONLY) !== 0 && this.#events.length === 1) return undefined;
    return { bytes: withoutTopLevelUsageNull(bytes), content: (kinds & CONTENT) !== 0 };
  }

  /** Gives one event's bytes to the parser, and its events to the accumulator; returns the kinds seen (flags). */
  #read(bytes: Buffer): number {
    this.#nothingRead = false;
    this.#events.length = 0;
    const accumulator = this.accumulator;
    (this.#parser as SseParser).push(bytes);
    this.#parserBetweenEvents = bytes.length >= 2 && bytes[bytes.length - 1] === LF && bytes[bytes.length - 2] === LF;
    let kinds = 0;
    for (const event of this.#events) {
      const kind = accumulator.pushRaw(event.data, event.event);
      if (kind === 'content') kinds |= CONTENT;
      else if (kind === 'usage_only') kinds |= USAGE_ONLY;
    }
    return kinds;
  }
}

/**
 * How a lane template's events reach the client: as they are (`none`), or with the `"usage":null` member cut out
 * of the template's text after the content (`suffix`: `bytes` replaces the template's suffix and the blank line)
 * or before it (`prefix`: `bytes` replaces the template's prefix).
 */
interface LaneCut {
  where: 'none' | 'suffix' | 'prefix';
  bytes: Buffer;
  prefixLength: number;
  suffixLength: number;
}

/** Where the lane's template is cut; `undefined` when the one-line cut cannot tell (its events go the usual way). */
function laneCut(lane: ContentChunkLane): LaneCut | undefined {
  const template = lane.template;
  if (template === undefined) return undefined;
  const prefix = Buffer.from(template.prefix);
  const suffix = Buffer.from(template.suffix);
  const head = 6; // `data: `
  const textStart = head + prefix.length;
  const textEnd = textStart + 1;
  const event = Buffer.concat([Buffer.from('data: '), prefix, Buffer.from('x'), suffix, Buffer.from('\n\n')]);
  const lengths = { prefixLength: prefix.length, suffixLength: suffix.length };
  if (event.indexOf(USAGE_NULL) === -1) return { where: 'none', bytes: Buffer.alloc(0), ...lengths };
  const range = oneLineUsageNullCut(event);
  if (range === undefined) return undefined;
  if (range === null) return { where: 'none', bytes: Buffer.alloc(0), ...lengths };
  const [cutStart, cutEnd] = range;
  if (cutStart >= textEnd) {
    const tail = event.subarray(textEnd);
    const bytes = Buffer.concat([tail.subarray(0, cutStart - textEnd), tail.subarray(cutEnd - textEnd)]);
    return { where: 'suffix', bytes, ...lengths };
  }
  if (cutStart >= head && cutEnd <= textStart) {
    const bytes = Buffer.concat([prefix.subarray(0, cutStart - head), prefix.subarray(cutEnd - head)]);
    return { where: 'prefix', bytes, ...lengths };
  }
  return undefined;
}
