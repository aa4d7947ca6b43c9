import { connect } from 'node:net';

/** What came back on a raw connection, bytes untouched. */
export interface RawReply {
  /** Everything received, in order (interim `1xx` responses included). */
  bytes: Buffer;
  /** `bytes` as Latin-1, one character per byte. */
  text: string;
  /** The status of the first status line; undefined when none came. */
  status: number | undefined;
  /** How the exchange ended: the server closed (`end`), reset the connection, or the wait ran out. */
  endedBy: 'end' | 'reset' | 'timeout';
  /** Milliseconds from the connection to that end. */
  elapsedMs: number;
}

/** Options of {@link rawExchange}. */
export interface RawExchangeOptions {
  /** Stop waiting after this long (the result then says `timeout`). Default 5 s. */
  timeoutMs?: number;
  /** Stop as soon as the bytes received match (e.g. a complete response on a kept-alive connection). */
  until?: (received: string) => boolean;
}

/**
 * Opens a TCP connection to `port` on 127.0.0.1, writes `parts` one after the other (a function part is called
 * with what was received so far and may wait, e.g. for an interim response, before returning its bytes), then reads
 * until the server closes, `until` matches, or the time runs out. Writes anything, not only what `node:http`
 * would send.
 */
export function rawExchange(
  port: number,
  parts: readonly (string | Buffer | ((received: () => string) => Promise<string | Buffer>))[],
  options: RawExchangeOptions = {},
): Promise<RawReply> {
  const { timeoutMs = 5000, until } = options;
  const startedAt = performance.now();
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const received = (): string => Buffer.concat(chunks).toString('latin1');
  return new Promise((resolve) => {
    let done = false;
    const finish = (endedBy: RawReply['endedBy']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        bytes,
        text,
        status: match ? Number(match[1]) : undefined,
        endedBy,
        elapsedMs: performance.now() - startedAt,
      });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (until?.(received())) finish('end');
    });
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('end'));
    socket.on('error', () => finish('reset'));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (done) return;
        const bytes = typeof part === 'function' ? await part(received) : part;
        if (!socket.destroyed) socket.write(bytes);
      }
    });
  });
}

/** A raw POST request with a JSON body, closing the connection after its response. */
export function rawPost(target: string, body: string, headers: readonly string[] = []): string {
  return [
    `POST ${target} HTTP/1.1`,
    'host: 127.0.0.1',
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...headers,
    '',
    body,
  ].join('\r\n');
}

/** A response read out of raw bytes. */
export interface ParsedResponse {
  status: number;
  /** Header values by lower-cased name (the last one wins). */
  headers: Record<string, string>;
  /** The body, de-chunked when it came `Transfer-Encoding: chunked` (Latin-1, one character per byte). */
  body: string;
}

/**
 * The final response in raw bytes (interim `1xx` responses before it skipped); undefined when there is no complete
 * head.
 */
export function parseResponse(text: string): ParsedResponse | undefined {
  let rest = text;
  for (;;) {
    const at = rest.indexOf('\r\n\r\n');
    if (at === -1) return undefined;
    const [statusLine = '', ...lines] = rest.slice(0, at).split('\r\n');
    rest = rest.slice(at + 4);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = headers['transfer-encoding']?.toLowerCase() === 'chunked' ? dechunk(rest) : rest;
    return { status, headers, body };
  }
}

function dechunk(text: string): string {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return body;
    const size = Number.parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return body;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
