import { connect } from 'node:net';

/** A response as the raw bytes came, split into its parts. */
export interface RawExchange {
  status: number;
  /** Lower-cased header names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** The body, de-chunked when it came chunked. */
  body: Buffer;
  text: string;
}

/**
 * Sends `head` (the request line and headers, `\r\n`-separated, without the blank line) and `body` over a new
 * TCP connection, byte for byte: what `node:http` and `fetch` would refuse to write or would normalize (encoded
 * dot segments, raw UTF-8 header bytes, any `Host`). `Connection: close` is added, and the response is read
 * until the server closes (the client never half-closes first). Rejects after `timeoutMs`.
 * @example
 * ```ts
 * const reply = await rawRequest(proxy.url, 'GET /a/%2e%2e/b HTTP/1.1\r\nHost: 127.0.0.1');
 * reply.status; // 400
 * ```
 */
export function rawRequest(
  url: string,
  head: string | Buffer,
  body: string | Buffer = '',
  timeoutMs = 5000,
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const bodyBytes = typeof body === 'string' ? Buffer.from(body) : body;
  const request = Buffer.concat([
    typeof head === 'string' ? Buffer.from(head, 'latin1') : head,
    Buffer.from(`\r\nconnection: close\r\ncontent-length: ${bodyBytes.length}\r\n\r\n`, 'latin1'),
    bodyBytes,
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    // Not end(): a half-closed client is one that left, and the proxy would record the call as aborted.
    socket.write(request);
  });
}

function parseResponse(raw: Buffer): RawExchange {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no response head in ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status, headers, body, text: body.toString('utf8') };
}

function dechunk(chunked: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = chunked.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(chunked.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(chunked.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
