import type { Transform } from 'node:stream';
import {
  brotliDecompressSync,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gunzipSync,
  inflateSync,
} from 'node:zlib';
import type { FollowedStream, InFlightCall, Operation, TransportEnding } from '@llmeter/core';
import { type ResponseSummary, SseParser, type StreamAccumulator, type WireFormat } from '@llmeter/core/wire';

/** What a response body said, in the shape core's `callOutcome` takes it. */
export interface ObservedBody {
  /** A stream, followed event by event. */
  stream?: FollowedStream;
  /** A complete JSON body. */
  response?: ResponseSummary;
}

/** Reads a copy of the response body the client receives, and tells what it said about the call. */
export interface ResponseObserver {
  /** Bytes just written to the client (the proxy keeps no reference to them after this returns). */
  take(chunk: Buffer, writtenAt: number): void;
  /** What the body said once it ended, or stopped (`transport`); waits for a decompressing copy to drain. */
  finish(transport: TransportEnding): Promise<ObservedBody>;
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
}

/** `Content-Encoding`s whose copy the observers can decode. */
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** Whether a response's body can be observed given its `Content-Encoding` (absent and `identity` can). */
export function isObservableEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === 'identity' || DECODABLE.has(encoding.trim().toLowerCase());
}

/**
 * Follows an SSE response event by event with core's incremental parser and the wire format's accumulator,
 * holding only the current event: time to first token is marked when the bytes of the first `content` event
 * were written to the client. With `accumulator` given, a {@link UsageChunkFilter} already feeds it and this
 * observer only reads the summary at the end.
 */
export class SseObserver implements ResponseObserver {
  readonly #call: ObservedCall;
  readonly #accumulator: StreamAccumulator;
  readonly #parser: SseParser | undefined;
  readonly #decoder: Transform | undefined;
  #writtenAt = 0;
  #marked = false;

  constructor(call: ObservedCall, encoding: string | undefined, fedAccumulator?: StreamAccumulator) {
    this.#call = call;
    this.#accumulator = fedAccumulator ?? call.format.createStreamAccumulator(call.operation);
    if (fedAccumulator !== undefined) return;
    const accumulator = this.#accumulator;
    this.#parser = new SseParser((event) => {
      if (accumulator.pushRaw(event.data, event.event) === 'content' && !this.#marked) {
        this.#marked = true;
        call.call.markFirstToken(this.#writtenAt);
      }
    });
    this.#decoder = streamingDecoder(encoding);
    if (this.#decoder !== undefined) {
      const parser = this.#parser;
      // Decoded bytes come later than the written ones; time to first token is then marked when they decode.
      this.#decoder.on('data', (decoded: Buffer) => {
        this.#writtenAt = performance.now();
        parser.push(decoded);
      });
      this.#decoder.on('error', () => this.#decoder?.removeAllListeners('data'));
    }
  }

  take(chunk: Buffer, writtenAt: number): void {
    if (this.#decoder !== undefined) {
      this.#decoder.write(chunk);
      return;
    }
    this.#writtenAt = writtenAt;
    this.#parser?.push(chunk);
  }

  async finish(): Promise<ObservedBody> {
    if (this.#decoder !== undefined) await drain(this.#decoder);
    this.#parser?.end();
    const { format, operation, model, requestBody } = this.#call;
    return { stream: { summary: this.#accumulator.summary(), format, operation, model, requestBody } };
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

  async finish(transport: TransportEnding): Promise<ObservedBody> {
    if (transport !== 'complete' || this.#size > this.#limit) {
      this.#chunks = [];
      return {};
    }
    let body: unknown;
    try {
      const bytes = decodeWhole(Buffer.concat(this.#chunks, this.#size), this.#encoding, this.#limit);
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

function streamingDecoder(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
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
