import type { Transform } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FollowedStream, InFlightCall, Operation, TransportEnding } from '@llmeter/core';
import {
  JsonArrayStreamParser,
  NdjsonParser,
  type ResponseState,
  type ResponseSummary,
  SseParser,
  type StreamAccumulator,
  type StreamSummary,
  type WireFormat,
  type WireFormatName,
} from '@llmeter/core/wire';
import { ANTHROPIC_MESSAGES_LANE, ContentChunkLane, type LaneRule, OPENAI_CHAT_LANE } from './content-chunk-lane.js';
import { contentDecoder } from './content-decoding.js';

/**
 * The most decoded bytes of a compressed stream the proxy reads to measure it: 64 MiB. Past them it stops
 * decoding its copy (the client still gets every byte, as the upstream sent them) and records the call from what
 * it read: a compressed reply can decode to a thousand times its size (1 MB on the wire, 1 GB decoded), and
 * decoding it all would cost the proxy that CPU time for nothing a measurement needs. 64 MiB is more than a
 * model's longest reply: 128k output tokens streamed one chunk per token (~200 bytes each) is about 26 MB.
 */
export const MEASURED_DECODED_BYTES_LIMIT = 64 * 1024 * 1024;

/** What a response body said, in the shape core's `callOutcome` takes it. */
export interface ObservedBody {
  /** A stream, followed event by event. */
  stream?: FollowedStream;
  /** A complete JSON body. */
  response?: ResponseSummary;
}

/** Reads a copy of the response body the client receives, and tells what it said about the call. */
export interface ResponseObserver {
  /**
   * Bytes passed on to the client (written at the end of this turn, with the others of the turn): the proxy
   * changes them no more, and keeps no reference to them once written.
   */
  take(chunk: Buffer, writtenAt: number): void;
  /**
   * What the body said once it ended, or stopped (`transport`): at once when it is all read, or once a
   * decompressing copy drained.
   */
  finish(transport: TransportEnding): ObservedBody | Promise<ObservedBody>;
}

/** What observers need to know about the call. */
export interface ObservedCall {
  format: WireFormat;
  operation: Operation;
  /** The request's model (for local token counts). */
  model: string;
  /** The parsed request body (its prompt is counted locally when the provider reports no usage). */
  requestBody: unknown;
  call: InFlightCall;
  /**
   * Told once, as soon as a stream first names its OpenAI response (`response.created`): a client can resume or
   * poll a background response as soon as it has its id, before this stream's call is recorded.
   */
  onResponseSeen?: ((state: ResponseState) => void) | undefined;
}

const LF = 0x0a;
const BLANK_LINE = Buffer.from('\n\n');

/** The wire formats whose SSE streams have a content lane (content-chunk-lane.ts), and which events it reads. */
const LANE_RULES: Partial<Record<WireFormatName, LaneRule>> = {
  openai: OPENAI_CHAT_LANE,
  anthropic: ANTHROPIC_MESSAGES_LANE,
};

/** `Content-Encoding`s whose copy the observers can decode. */
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** Whether a response's body can be observed given its `Content-Encoding` (absent and `identity` can). */
export function isObservableEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === 'identity' || DECODABLE.has(encoding.trim().toLowerCase());
}

/** Bounds on what an {@link SseObserver} reads. */
export interface SseObserverLimits {
  /** Decoded bytes of a compressed stream; default {@link MEASURED_DECODED_BYTES_LIMIT}. */
  decodedBytes?: number;
  /** Characters of one event; default core's `SSE_EVENT_LENGTH_LIMIT`. */
  eventLength?: number;
  /**
   * How the stream is framed: server-sent events (the default), or one JSON array flushed element by element
   * (the Gemini API's `streamGenerateContent` without `?alt=sse`), each element an event, or newline-delimited
   * JSON (Ollama's native streams), each line an event.
   */
  framing?: StreamFraming;
}

/** How a stream's events are framed on the wire. */
export type StreamFraming = 'sse' | 'json-array' | 'ndjson';

/** An incremental splitter of a stream body into events (SSE, a JSON array's elements, NDJSON lines). */
interface EventFramer {
  push(chunk: Uint8Array): void;
  end(): void;
}

/**
 * Follows an SSE response event by event with core's incremental parser and the wire format's accumulator,
 * holding only the current event: time to first token is marked when the bytes of the first `content` event
 * were written to the client. With `accumulator` given, a {@link UsageChunkFilter} already feeds it and this
 * observer only reads the summary at the end.
 *
 * Its reading is bounded: a compressed stream is decoded up to `limits.decodedBytes`, and an event larger than
 * `limits.eventLength` is skipped. Past either, the call is recorded from what was read (its usage estimated
 * when none was reported), and a stream whose end was not read is judged by its transport: one the upstream
 * ended cleanly counts as finished, as the proxy could not read whether it was.
 */
export class SseObserver implements ResponseObserver {
  readonly #call: ObservedCall;
  readonly #accumulator: StreamAccumulator;
  readonly #parser: EventFramer | undefined;
  /** The fast lane of an OpenAI chat or Anthropic SSE stream's plain content events (see content-chunk-lane.ts). */
  readonly #lane: ContentChunkLane | undefined;
  /** The parser is between events (the bytes it was given end in a blank line): the lane may take the next one. */
  #betweenEvents = false;
  /** The last byte the parser was given is LF. */
  #lastLf = false;
  readonly #decoder: Transform | undefined;
  readonly #decodedLimit: number;
  #decoded = 0;
  #writtenAt = 0;
  #marked = false;
  /** Part of the stream was not read (an oversized event, or decoding stopped at its limit). */
  #partial = false;
  /** Decoding stopped at its limit: what comes next is not read at all. */
  #stopped = false;

  constructor(
    call: ObservedCall,
    encoding: string | undefined,
    fedAccumulator?: StreamAccumulator,
    limits: SseObserverLimits = {},
  ) {
    this.#call = call;
    this.#decodedLimit = limits.decodedBytes ?? MEASURED_DECODED_BYTES_LIMIT;
    if (fedAccumulator !== undefined) {
      this.#accumulator = fedAccumulator;
      return;
    }
    const framing = limits.framing ?? 'sse';
    const own = call.format.createStreamAccumulator(call.operation);
    const rule = framing === 'sse' ? LANE_RULES[call.format.name] : undefined;
    this.#lane = rule === undefined ? undefined : new ContentChunkLane(own, limits.eventLength, rule);
    this.#accumulator = this.#lane ?? own;
    const accumulator = this.#accumulator;
    let onResponseSeen = call.onResponseSeen;
    const take = (data: string, eventName?: string): void => {
      if (accumulator.pushRaw(data, eventName) === 'content' && !this.#marked) {
        this.#marked = true;
        call.call.markFirstToken(this.#writtenAt);
      }
      if (onResponseSeen === undefined) return;
      const state = accumulator.summary().responseState;
      if (state === undefined) return;
      onResponseSeen(state);
      onResponseSeen = undefined;
    };
    const oversized = (): void => {
      this.#partial = true;
    };
    switch (framing) {
      case 'json-array':
        this.#parser = new JsonArrayStreamParser(take, {
          maxElementLength: limits.eventLength,
          onOversizedElement: oversized,
        });
        break;
      case 'ndjson':
        this.#parser = new NdjsonParser(take, { maxLineLength: limits.eventLength, onOversizedLine: oversized });
        break;
      default:
        this.#parser = new SseParser((event) => take(event.data, event.event), {
          maxEventLength: limits.eventLength,
          onOversizedEvent: oversized,
        });
    }
    this.#decoder = contentDecoder(encoding);
    if (this.#decoder !== undefined) {
      const parser = this.#parser;
      // Decoded bytes come later than the written ones; time to first token is then marked when they decode.
      this.#decoder.on('data', (decoded: Buffer) => {
        this.#writtenAt = performance.now();
        const room = this.#decodedLimit - this.#decoded;
        this.#decoded += decoded.length;
        if (decoded.length <= room) {
          this.#read(parser, decoded);
          return;
        }
        if (room > 0) this.#read(parser, decoded.subarray(0, room));
        this.#stopDecoding();
      });
      this.#decoder.on('error', () => this.#decoder?.removeAllListeners('data'));
    }
  }

  /** Decoded bytes of a compressed stream read so far (at most the limit, plus the chunk that crossed it). */
  get decodedBytes(): number {
    return this.#decoded;
  }

  take(chunk: Buffer, writtenAt: number): void {
    if (this.#stopped) return;
    if (this.#decoder !== undefined) {
      this.#decoder.write(chunk);
      return;
    }
    this.#writtenAt = writtenAt;
    if (this.#parser !== undefined) this.#read(this.#parser, chunk);
  }

  /**
   * Gives `chunk` to the parser, except the events the lane takes: those it may take only while the parser is
   * between events, so the parser is given the bytes up to each event's end, then the lane sees the next event.
   */
  #read(parser: EventFramer, chunk: Buffer): void {
    const lane = this.#lane;
    if (lane === undefined) {
      parser.push(chunk);
      return;
    }
    const length = chunk.length;
    // The usual chunk: one whole event. The lane checks every byte before its blank line (so `\n\n` is the first).
    if (this.#betweenEvents && lane.ready && chunk[length - 1] === LF && chunk[length - 2] === LF) {
      if (lane.take(chunk, 0, length - 2) !== -1) return;
    }
    let at = 0;
    while (at < length) {
      if (this.#betweenEvents && lane.ready) {
        // The first LF after the template's `event:` line (Anthropic's; none for OpenAI), which the lane checks.
        const lf = chunk.indexOf(LF, at + lane.headLength);
        if (lf !== -1 && chunk[lf + 1] === LF && lane.take(chunk, at, lf) !== -1) {
          at = lf + 2;
          continue;
        }
      }
      // Up to the end of the next event (the LF of its blank line), or all the rest.
      let end: number;
      if (at === 0 && this.#lastLf && chunk[0] === LF) end = 1;
      else {
        const blank = chunk.indexOf(BLANK_LINE, at);
        end = blank === -1 ? length : blank + 2;
      }
      parser.push(at === 0 && end === length ? chunk : chunk.subarray(at, end));
      const lastLf = chunk[end - 1] === LF;
      this.#betweenEvents = lastLf && (end - at >= 2 ? chunk[end - 2] === LF : this.#lastLf);
      this.#lastLf = lastLf;
      at = end;
    }
  }

  finish(transport: TransportEnding): ObservedBody | Promise<ObservedBody> {
    // Without a decompressing copy to wait for, everything is read: the call is recorded in this turn.
    if (this.#decoder === undefined || this.#stopped) return this.#observed(transport);
    return drain(this.#decoder).then(() => this.#observed(transport));
  }

  #observed(transport: TransportEnding): ObservedBody {
    this.#parser?.end();
    const { format, operation, model, requestBody } = this.#call;
    let summary: StreamSummary = this.#accumulator.summary();
    if (this.#partial && transport === 'complete' && !summary.finished) summary = { ...summary, finished: true };
    return { stream: { summary, format, operation, model, requestBody } };
  }

  #stopDecoding(): void {
    this.#stopped = true;
    this.#partial = true;
    const decoder = this.#decoder;
    if (decoder === undefined) return;
    decoder.removeAllListeners('data');
    decoder.on('error', () => {});
    decoder.destroy();
  }
}

/**
 * Keeps a copy of a JSON response body up to `limit` bytes and reads its usage once it is complete. A larger
 * body passes through unmeasured (its copy is dropped as soon as it is over the limit).
 */
export class JsonObserver implements ResponseObserver {
  readonly #call: ObservedCall;
  readonly #limit: number;
  readonly #encoding: string | undefined;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(call: ObservedCall, encoding: string | undefined, limit: number) {
    this.#call = call;
    this.#encoding = encoding?.trim().toLowerCase();
    this.#limit = limit;
  }

  take(chunk: Buffer): void {
    if (this.#size > this.#limit) return;
    this.#size += chunk.length;
    if (this.#size > this.#limit) this.#chunks = [];
    else this.#chunks.push(chunk);
  }

  finish(transport: TransportEnding): ObservedBody {
    if (transport !== 'complete' || this.#size > this.#limit) {
      this.#chunks = [];
      return {};
    }
    let body: unknown;
    try {
      const chunks = this.#chunks;
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#size);
      const bytes = decodeWhole(whole, this.#encoding, this.#limit);
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      // Not JSON after all (or not decodable): the call still counts, without usage.
      return {};
    } finally {
      this.#chunks = [];
    }
    return { response: this.#call.format.parseResponse(this.#call.operation, body) };
  }
}

function decodeWhole(bytes: Buffer, encoding: string | undefined, limit: number): Buffer {
  const options = { maxOutputLength: limit };
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(bytes, options);
    case 'deflate':
      return inflateSync(bytes, options);
    case 'br':
      return brotliDecompressSync(bytes, options);
    default:
      return bytes;
  }
}

/** Ends a decoder and waits until everything it had was decoded (or it failed). */
function drain(decoder: Transform): Promise<void> {
  if (decoder.destroyed || decoder.readableEnded) return Promise.resolve();
  const settled = new Promise<void>((resolve) => {
    decoder.once('end', resolve);
    decoder.once('close', resolve);
    decoder.once('error', () => resolve());
  });
  decoder.end();
  return settled;
}
