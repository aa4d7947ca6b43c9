import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded response to serve: its status, content type and bytes, exactly as stored. */
export interface RecordedResponse {
  status: number;
  contentType: string;
  bytes: Buffer;
}

/** A local upstream that answers each request with the next queued {@link RecordedResponse}. */
export interface CorpusUpstream {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  enqueue(response: RecordedResponse): void;
  /** Responses queued and not yet sent. */
  readonly pending: number;
  close(): Promise<void>;
}

/**
 * Starts a {@link CorpusUpstream} on a free loopback port. A stream is sent chunked (no content length) and a
 * JSON body with its length, as providers send them; each request's body is read whole before the answer.
 */
export async function startCorpusUpstream(): Promise<CorpusUpstream> {
  const queue: RecordedResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const next = queue.shift();
      if (next === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"nothing queued"}}');
        return;
      }
      const stream = next.contentType.startsWith('text/event-stream');
      res.writeHead(next.status, {
        'content-type': next.contentType,
        ...(stream ? { 'cache-control': 'no-cache' } : { 'content-length': String(next.bytes.length) }),
      });
      res.end(next.bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (response) => queue.push(response),
    get pending() {
      return queue.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
