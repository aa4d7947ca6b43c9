import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How a replayed response ends after its bytes: `end` closes it properly, `cut` destroys the connection (no
 * terminating chunk, as an upstream that died mid-stream), `hold` keeps it open until the client goes away.
 */
export type ReplayEnding = 'end' | 'cut' | 'hold';

/** One response to replay: recorded SSE bytes and how the response ends after them. */
export interface Replay {
  bytes: Buffer;
  ending: ReplayEnding;
}

/** A local upstream that answers each request with the next queued {@link Replay}, byte for byte. */
export interface ReplayUpstream {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  /** Queues responses for the next requests, in order. */
  enqueue(...replays: Replay[]): void;
  /** Responses queued and not yet sent. */
  readonly pending: number;
  close(): Promise<void>;
}

/**
 * Starts a {@link ReplayUpstream} on a free loopback port. (The simulator writes its own events from a scripted
 * reply; it cannot send recorded bytes, nor stop at an exact byte.) Each request's body is read whole before the
 * answer, so that destroying the socket afterwards cannot turn into a reset that loses bytes already written.
 */
export async function startReplayUpstream(): Promise<ReplayUpstream> {
  const queue: Replay[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const replay = queue.shift();
      if (replay === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"nothing queued"}}');
        return;
      }
      play(res, replay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (...replays) => queue.push(...replays),
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

function play(res: ServerResponse, { bytes, ending }: Replay): void {
  // No content-length: the body is chunked, so a cut is told apart from an end.
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(bytes, () => {
    if (ending === 'end') res.end();
    else if (ending === 'cut') res.destroy();
    // `hold`: the client's disconnect closes the response.
  });
}
