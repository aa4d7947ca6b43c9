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
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      reject(new ClientGoneError('the client disconnected before sending its whole request body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
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
