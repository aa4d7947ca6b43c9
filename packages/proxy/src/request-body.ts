import type { IncomingMessage } from 'node:http';

/** The request body is larger than the configured limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
  }
}

/** The client went away (or its connection failed) before its body was read. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

/**
 * Whether a request's body is read into memory before it is forwarded: a JSON (or untyped) body, whose
 * `model` and `stream` fields name the call. Other bodies (audio, multipart file uploads) stream through.
 * A media type is case-insensitive and may carry parameters (RFC 9110 §8.3.1), so `Application/JSON;
 * charset=utf-8` is JSON, measured and size-limited like `application/json`; so are `+json` types. A body of
 * a wire format whose bodies are JSON whatever they are labelled (`jsonWhateverType`: Ollama's) is read too.
 */
export function bodyIsBuffered(req: IncomingMessage, jsonWhateverType = false): boolean {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) return false;
  const type = req.headers['content-type'];
  return type === undefined || jsonWhateverType || isJsonMediaType(type);
}

/** Whether a `Content-Type` names JSON: its media type (parameters left out, any case) mentions `json`. */
export function isJsonMediaType(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType.includes('json');
}

/**
 * Reads a request body whole, up to `limit` bytes.
 * @throws {BodyTooLargeError} as soon as the body (or its declared `Content-Length`) is over the limit.
 * @throws {ClientGoneError} when the client disconnects first.
 * @example
 * ```ts
 * const body = await readRequestBody(req, 1_048_576);
 * ```
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readRequestBodyThen(req, limit, resolve, reject);
  });
}

/** What a body read ends with: the body, or why there is none. */
export interface BodyCallbacks {
  onBody(body: Buffer): void;
  onError(error: BodyTooLargeError | ClientGoneError): void;
}

/**
 * {@link readRequestBody} with callbacks, one of them called once: the proxy's own path, without a promise per
 * request (nor the microtask its settling takes before the request can go upstream).
 */
export function readRequestBodyThen(
  req: IncomingMessage,
  limit: number,
  onBody: BodyCallbacks['onBody'],
  onError: BodyCallbacks['onError'],
): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    onError(new BodyTooLargeError(limit));
    return;
  }
  new BodyReader(req, limit, onBody, onError).listen();
}

/** One body being read: its listeners are methods of one object, not a closure each. */
class BodyReader {
  readonly #req: IncomingMessage;
  readonly #limit: number;
  readonly #onBody: BodyCallbacks['onBody'];
  readonly #onError: BodyCallbacks['onError'];
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(req: IncomingMessage, limit: number, onBody: BodyCallbacks['onBody'], onError: BodyCallbacks['onError']) {
    this.#req = req;
    this.#limit = limit;
    this.#onBody = onBody;
    this.#onError = onError;
  }

  listen(): void {
    this.#req.on('data', this.onData);
    this.#req.on('end', this.onEnd);
    this.#req.on('error', this.onGone);
    this.#req.on('close', this.onGone);
  }

  readonly onData = (chunk: Buffer): void => {
    this.#size += chunk.length;
    if (this.#size > this.#limit) {
      this.#cleanup();
      this.#onError(new BodyTooLargeError(this.#limit));
      return;
    }
    this.#chunks.push(chunk);
  };

  readonly onEnd = (): void => {
    this.#cleanup();
    const chunks = this.#chunks;
    this.#onBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#size));
  };

  readonly onGone = (): void => {
    this.#cleanup();
    this.#onError(new ClientGoneError('the client disconnected before sending its whole request body'));
  };

  #cleanup(): void {
    this.#req.off('data', this.onData);
    this.#req.off('end', this.onEnd);
    this.#req.off('error', this.onGone);
    this.#req.off('close', this.onGone);
  }
}

/**
 * Throws away the rest of a refused request's body, so that the client (which may still be sending) reads the
 * refusal instead of a reset connection; a client that goes on far past the limit is disconnected.
 */
export function discardRequestBody(req: IncomingMessage, limit: number): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 4 * limit + 1_048_576) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
