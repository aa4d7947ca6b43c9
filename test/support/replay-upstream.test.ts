import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type ReplayUpstream, useReplayUpstream } from './replay-upstream.js';

/** What a raw HTTP client sees of one answer: status, headers, the bytes, and how the body ended. */
interface Seen {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  ended: 'complete' | 'aborted';
  /** Milliseconds from the response's headers to each data chunk. */
  chunkTimes: number[];
}

function call(upstream: ReplayUpstream, path = '/v1/chat/completions', body = '{"model":"m"}'): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request(`${upstream.url}${path}`, { method: 'POST' }, (res) => {
      const start = performance.now();
      const chunks: Buffer[] = [];
      const chunkTimes: number[] = [];
      const seen = (ended: Seen['ended']): Seen => ({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks),
        ended,
        chunkTimes,
      });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        chunkTimes.push(performance.now() - start);
      });
      res.on('end', () => resolve(seen('complete')));
      res.on('aborted', () => resolve(seen('aborted')));
      res.on('error', () => resolve(seen('aborted')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const RECORDED = Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n');

describe('the replay upstream', () => {
  const upstream = useReplayUpstream();

  it('answers a JSON body whole, with its status, content type, headers and length', async () => {
    upstream.reset();
    const body = '{"error":{"type":"rate_limit_error"}}';
    upstream.enqueue({ status: 429, contentType: 'application/json', headers: { 'retry-after': '7' }, body });
    const seen = await call(upstream);
    expect(seen).toMatchObject({ status: 429, ended: 'complete' });
    expect(seen.body.toString()).toBe(body);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['content-length']).toBe(String(body.length));
    expect(seen.headers['retry-after']).toBe('7');
    expect(upstream.requests.map(({ method, url, body }) => [method, url, body.toString()])).toEqual([
      ['POST', '/v1/chat/completions', '{"model":"m"}'],
    ]);
  });

  it('sends a stream chunked, byte for byte, and ends it', async () => {
    upstream.enqueue({ body: RECORDED });
    const seen = await call(upstream);
    expect(seen).toMatchObject({ status: 200, ended: 'complete' });
    expect(seen.body.equals(RECORDED)).toBe(true);
    expect(seen.headers['transfer-encoding']).toBe('chunked');
    expect(seen.headers['content-type']).toBe('text/event-stream');
  });

  it('cuts the connection after exactly N bytes', async () => {
    upstream.enqueue({ body: RECORDED, ending: { cutAfterBytes: 20 } });
    const seen = await call(upstream);
    expect(seen.ended).toBe('aborted');
    expect(seen.body.equals(RECORDED.subarray(0, 20))).toBe(true);
  });

  it('cuts after all the bytes, without the terminating chunk', async () => {
    upstream.enqueue({ body: RECORDED, ending: 'cut' });
    const seen = await call(upstream);
    expect(seen.ended).toBe('aborted');
    expect(seen.body.equals(RECORDED)).toBe(true);
  });

  it('paces the body: pieces of chunkBytes, delayMs apart', async () => {
    upstream.enqueue({ body: RECORDED, pace: { chunkBytes: 15, delayMs: 40 } });
    const seen = await call(upstream);
    expect(seen.body.equals(RECORDED)).toBe(true);
    // 45 bytes in pieces of 15: three writes, the last two delays after the first (which comes with the headers).
    // A busy client may read two pieces at once, so only the last piece's time is exact enough to assert.
    expect(seen.chunkTimes.length).toBeGreaterThanOrEqual(2);
    expect(seen.chunkTimes.at(-1) ?? 0).toBeGreaterThanOrEqual(70);
  });

  it('answers 500 when nothing is queued, and reset forgets queue and requests', async () => {
    upstream.enqueue({ body: RECORDED });
    upstream.reset();
    expect(upstream.pending).toBe(0);
    expect(upstream.requests).toHaveLength(0);
    const seen = await call(upstream);
    expect(seen.status).toBe(500);
    expect(seen.body.toString()).toContain('nothing queued');
  });
});
