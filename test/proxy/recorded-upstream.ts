import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The corpus of real recorded provider responses (see its `corpus.json` and `PROVENANCE.md`). */
const CORPUS = fileURLToPath(new URL('../../packages/core/src/wire/fixtures/corpus/', import.meta.url));

interface CorpusEntry {
  id: string;
  status: number;
  contentType: string;
  files: { response: string; request?: string };
}

const manifest = JSON.parse(readFileSync(`${CORPUS}corpus.json`, 'utf8')) as { fixtures: CorpusEntry[] };

/** One answer to send: a status, a content type and the body's bytes. */
export interface RecordedAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A corpus recording as an answer, its status, content type and bytes as the provider sent them. */
export function corpusAnswer(id: string): RecordedAnswer {
  const entry = manifest.fixtures.find((fixture) => fixture.id === id);
  if (entry === undefined) throw new Error(`no corpus fixture ${id}`);
  return {
    status: entry.status,
    contentType: entry.contentType,
    body: readFileSync(`${CORPUS}${entry.files.response}`),
  };
}

/** The request body a corpus recording was answered to, as recorded. */
export function corpusRequest(id: string): Buffer {
  const entry = manifest.fixtures.find((fixture) => fixture.id === id);
  if (entry?.files.request === undefined) throw new Error(`no recorded request for corpus fixture ${id}`);
  return readFileSync(`${CORPUS}${entry.files.request}`);
}

/** A request the upstream received. */
export interface ReceivedRequest {
  url: string;
  body: Buffer;
}

/** A local upstream answering each request with the next queued {@link RecordedAnswer}. */
export interface RecordedUpstream {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  enqueue(...answers: RecordedAnswer[]): void;
  /** Every request received since the start or the last reset. */
  readonly requests: readonly ReceivedRequest[];
  /** Answers queued and not yet sent. */
  readonly pending: number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a {@link RecordedUpstream} on a free loopback port. Unlike the simulator, it sends recorded bytes as they
 * are (any status, any content type), and keeps each request's body as received.
 */
export async function startRecordedUpstream(): Promise<RecordedUpstream> {
  const queue: RecordedAnswer[] = [];
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
      const answer = queue.shift();
      if (answer === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"nothing queued"}}');
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(answer.body);
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
