import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suiteResource } from './suite-resource.js';

/**
 * How a replayed response ends:
 * - `end`: complete (the terminating chunk, or all `content-length` bytes);
 * - `cut`: the connection is destroyed after the bytes (no terminating chunk: an upstream that died mid-stream);
 * - `{ cutAfterBytes: n }`: only the first `n` bytes of the body are sent, then the connection is destroyed;
 * - `hold`: the response stays open after the bytes until the client goes away.
 */
export type ReplayEnding = 'end' | 'cut' | 'hold' | { readonly cutAfterBytes: number };

/** One answer to replay, byte for byte. */
export interface ReplayAnswer {
  /** Default 200. */
  status?: number;
  /** Default `text/event-stream`. */
  contentType?: string;
  /** Further response headers (a `content-type` here is overridden by `contentType`). */
  headers?: Readonly<Record<string, string>>;
  body: Buffer | string;
  /** Default `end`. */
  ending?: ReplayEnding;
  /**
   * How the body's length is told: `length` sends `content-length`, `chunked` does not. Default: chunked for a
   * stream content type (event stream, NDJSON) and for any ending but `end` (so that a cut is told apart from an
   * end), else `length`, as providers send them.
   */
  framing?: 'length' | 'chunked';
  /** Sends the body in pieces of `chunkBytes`, waiting `delayMs` before each piece after the first. */
  pace?: { readonly chunkBytes: number; readonly delayMs: number };
}

/** A request the upstream received, its body whole. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local upstream answering each request with the next queued {@link ReplayAnswer}. */
export interface ReplayUpstream {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  /** Queues answers for the next requests, in order. */
  enqueue(...answers: ReplayAnswer[]): void;
  /** Every request received since the start or the last {@link ReplayUpstream.reset}. */
  readonly requests: readonly ReceivedRequest[];
  /** Answers queued and not yet sent. */
  readonly pending: number;
  /** Forgets queued answers and received requests. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A {@link ReplayUpstream} for the `describe` block (or file) this is called in: started before its tests, closed
 * after them. The object returned reads through to it, so that tests use it as they would the upstream itself.
 *
 * @example
 * ```ts
 * describe('replayed', () => {
 *   const upstream = useReplayUpstream();
 *   it('answers', async () => {
 *     upstream.enqueue({ body: '{}' });
 *     expect((await fetch(upstream.url)).status).toBe(200);
 *   });
 * });
 * ```
 */
export function useReplayUpstream(): ReplayUpstream {
  const current = suiteResource(
    startReplayUpstream,
    'the replay upstream is used before its describe block started it',
  );
  return {
    get url() {
      return current().url;
    },
    get requests() {
      return current().requests;
    },
    get pending() {
      return current().pending;
    },
    enqueue: (...answers) => current().enqueue(...answers),
    reset: () => current().reset(),
    close: () => current().close(),
  };
}

const STREAM_TYPE = /event-stream|ndjson/;

/**
 * Starts a {@link ReplayUpstream} on a free loopback port. Unlike the simulator, which writes its own events from a
 * scripted reply, it sends recorded bytes as they are (any status, any content type) and can stop at an exact byte.
 * Each request's body is read whole before the answer, so that destroying the socket afterwards cannot turn into a
 * reset that loses bytes already written. With nothing queued it answers 500.
 *
 * @example
 * ```ts
 * const upstream = await startReplayUpstream();
 * upstream.enqueue({ body: recordedSse, ending: { cutAfterBytes: 120 } });
 * await fetch(`${upstream.url}/v1/chat/completions`, { method: 'POST', body: '{}' }); // 120 bytes, then a cut
 * await upstream.close();
 * ```
 */
export async function startReplayUpstream(): Promise<ReplayUpstream> {
  const queue: ReplayAnswer[] = [];
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const answer = queue.shift();
      if (answer === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"nothing queued"}}');
        return;
      }
      void play(res, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (...answers) => queue.push(...answers),
    requests,
    get pending() {
      return queue.length;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function play(res: ServerResponse, answer: ReplayAnswer): Promise<void> {
  const contentType = answer.contentType ?? 'text/event-stream';
  const ending = answer.ending ?? 'end';
  const whole = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  const body = typeof ending === 'object' ? whole.subarray(0, ending.cutAfterBytes) : whole;
  const framing =
    answer.framing ?? (STREAM_TYPE.test(contentType) || ending !== 'end' || answer.pace ? 'chunked' : 'length');
  const headers: Record<string, string> = { ...answer.headers, 'content-type': contentType };
  if (framing === 'length') headers['content-length'] = String(whole.length);
  else if (contentType.startsWith('text/event-stream')) headers['cache-control'] ??= 'no-cache';
  res.writeHead(answer.status ?? 200, headers);

  const step = answer.pace?.chunkBytes ?? Math.max(body.length, 1);
  for (let at = 0; at < body.length; at += step) {
    if (at > 0 && answer.pace !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.pace?.delayMs));
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(body.subarray(at, at + step), () => resolve()));
  }
  if (ending === 'end') res.end();
  else if (ending !== 'hold') res.destroy();
  // `hold`: the client's disconnect closes the response.
}
