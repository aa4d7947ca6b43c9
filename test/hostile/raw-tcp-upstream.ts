import { createServer, type Server, type Socket } from 'node:net';

/** One request a {@link RawUpstream} read whole (head and body). */
export interface RawRequest {
  method: string;
  /** The request target as sent, e.g. `/v1/chat/completions`. */
  target: string;
  /** Header values by lower-cased name (the last one wins). */
  headers: Record<string, string>;
  body: Buffer;
  /** Which request this is on its connection: 0 for the first, 1 for the next one on the same socket… */
  onConnection: number;
}

/**
 * Answers one request by writing whatever bytes it likes to `socket`, including what `node:http` refuses to write
 * (a status of `099`, control characters, `101` to a POST…), or by destroying or resetting it. Once the returned
 * promise settles and the socket is still open, the next request on the connection is read.
 */
export type RawResponder = (request: RawRequest, socket: Socket) => void | Promise<void>;

/** A raw-TCP HTTP/1.1 upstream: it parses requests itself and answers with raw bytes. */
export interface RawUpstream {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Answers the next requests; replace it between tests. */
  respond: RawResponder;
  /** Every request read whole since the start (its own tally, independent of the proxy's). */
  readonly received: readonly RawRequest[];
  /** Connections accepted since the start. */
  readonly connections: number;
  /** Destroys every open connection and stops listening. */
  close(): Promise<void>;
}

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 8 * 1024 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/** Starts a {@link RawUpstream} on a free port of 127.0.0.1. */
export async function startRawUpstream(respond: RawResponder): Promise<RawUpstream> {
  const received: RawRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const upstream: RawUpstream = {
    url: '',
    respond,
    received,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void serveConnection(socket, (request) => {
      received.push(request);
      return upstream.respond(request, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  Object.assign(upstream, { url: `http://127.0.0.1:${port}` });
  return upstream;
}

/** Reads requests off one connection, one after the other, and hands each to `answer`. */
async function serveConnection(socket: Socket, answer: (request: RawRequest) => void | Promise<void>): Promise<void> {
  const reader = new SocketReader(socket);
  for (let index = 0; !socket.destroyed; index++) {
    const request = await readRequest(reader, index);
    if (request === undefined) {
      socket.destroy();
      return;
    }
    try {
      await answer(request);
    } catch {
      socket.destroy();
    }
  }
}

async function readRequest(reader: SocketReader, onConnection: number): Promise<RawRequest | undefined> {
  const head = await reader.readUntil(HEAD_END, MAX_HEAD);
  if (head === undefined) return undefined;
  const [requestLine = '', ...lines] = head.toString('latin1').split('\r\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body: Buffer | undefined = Buffer.alloc(0);
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) body = await readChunked(reader);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = length > MAX_BODY ? undefined : await reader.read(length);
  }
  if (body === undefined) return undefined;
  return { method, target, headers, body, onConnection };
}

async function readChunked(reader: SocketReader): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const line = await reader.readUntil(Buffer.from('\r\n'), 1024);
    if (line === undefined) return undefined;
    const length = Number.parseInt(line.toString('latin1'), 16);
    if (!Number.isFinite(length) || size + length > MAX_BODY) return undefined;
    if (length === 0) {
      // Trailers, if any, end with a blank line.
      for (;;) {
        const trailer = await reader.readUntil(Buffer.from('\r\n'), 8192);
        if (trailer === undefined) return undefined;
        if (trailer.length === 0) return Buffer.concat(parts, size);
      }
    }
    const chunk = await reader.read(length + 2);
    if (chunk === undefined) return undefined;
    parts.push(chunk.subarray(0, length));
    size += length;
  }
}

/** Pulls bytes off a socket on demand: up to a delimiter, or a fixed count. */
class SocketReader {
  #buffered: Buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
      this.#notify();
    });
    const end = (): void => {
      this.#ended = true;
      this.#notify();
    };
    socket.on('end', end);
    socket.on('close', end);
  }

  /** The bytes before `delimiter` (which is consumed too); undefined at the end or past `limit`. */
  async readUntil(delimiter: Buffer, limit: number): Promise<Buffer | undefined> {
    for (;;) {
      const at = this.#buffered.indexOf(delimiter);
      if (at !== -1) {
        const bytes = this.#buffered.subarray(0, at);
        this.#buffered = this.#buffered.subarray(at + delimiter.length);
        return bytes;
      }
      if (this.#ended || this.#buffered.length > limit) return undefined;
      await this.#more();
    }
  }

  /** Exactly `length` bytes; undefined when the connection ends first. */
  async read(length: number): Promise<Buffer | undefined> {
    while (this.#buffered.length < length) {
      if (this.#ended) return undefined;
      await this.#more();
    }
    const bytes = this.#buffered.subarray(0, length);
    this.#buffered = this.#buffered.subarray(length);
    return bytes;
  }

  #more(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A complete raw HTTP/1.1 response with a `Content-Length` body (any status line, any header bytes). */
export function rawResponse(statusLine: string, headers: readonly string[], body = ''): string {
  const length = Buffer.byteLength(body);
  return `${statusLine}\r\n${[...headers, `content-length: ${length}`].join('\r\n')}\r\n\r\n${body}`;
}

/** An OpenAI chat completion body with the given usage. */
export function chatCompletionBody(model: string, input: number, output: number): string {
  return JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  });
}
