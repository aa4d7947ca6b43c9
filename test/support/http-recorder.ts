import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link RecordingServer} received. */
export interface RecordedRequest {
  method: string;
  /** Path and query string, e.g. `/services/T000/B000/XXX`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  text: string;
}

/** An HTTP server that answers every request `200 ok` and keeps it, standing in for a webhook's receiver. */
export interface RecordingServer {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  /** Every request received so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a {@link RecordingServer} on a free loopback port. */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '/', headers: req.headers, json, text });
      // Slack's incoming webhooks answer `ok`; Alertmanager only looks at the status.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
