import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';

const MB = 1024 * 1024;
const TOTAL = 100 * MB;
const compressedBody = gzipSync(
  JSON.stringify({ id: 'x', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 40, completion_tokens: 60 } }),
);
const sseEvent = (text: string) =>
  `data: ${JSON.stringify({ id: 'c', model: 'gpt-4o', choices: [{ index: 0, delta: { content: text } }] })}\n\n`;

// A real collection before each reading, so that only memory something still holds is counted.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function retained(): number {
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

let upstream: Server;
let h: ProxyHarness;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    if (req.url?.includes('gzip')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(compressedBody);
      return;
    }
    const sse = req.url?.includes('sse');
    res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
    // 100 MB, written as fast as the reader takes it.
    const piece = Buffer.from(sse ? sseEvent('x'.repeat(16 * 1024)) : 'x'.repeat(MB));
    let sent = 0;
    const write = (): void => {
      while (sent < TOTAL) {
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', write);
          return;
        }
      }
      res.end(sse ? 'data: [DONE]\n\n' : '');
    };
    write();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startHarness({ limits: { responseBodyBytes: MB } }, { big: url });
}, 30_000);
afterAll(async () => {
  await h?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('large responses stream through without being held', () => {
  const largeResponse = async (kind: 'json' | 'sse') => {
    const baseline = retained();
    let peak = 0;
    const response = await fetch(`${h.proxy.url}/big/v1/chat/completions?${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [], stream: kind === 'sse' }),
    });
    let received = 0;
    const reader = response.body?.getReader();
    for (;;) {
      const result = await reader?.read();
      if (!result || result.done) break;
      const before = received;
      received += result.value.length;
      // Every 10 MB, measure what is held mid-transfer.
      if (Math.floor(received / (10 * MB)) > Math.floor(before / (10 * MB)))
        peak = Math.max(peak, retained() - baseline);
    }
    expect(received).toBeGreaterThanOrEqual(TOTAL);
    // Client, upstream and proxy share this process.
    await settled(h);
    // Socket and stream buffers of all three parties come and go (~20-50 MB on loopback); a held copy of the
    // body would be 100 MB on top.
    expect(peak).toBeLessThan(70 * MB);
  };

  test('a 100 MB JSON response does not grow memory by 100 MB', () => largeResponse('json'), 60_000);

  // This stream reports no usage, so its tokens are counted locally: from a bounded sample of the text.
  test('a 100 MB SSE response does not grow memory by 100 MB', () => largeResponse('sse'), 60_000);
});

test('a gzip-compressed JSON response reaches the client compressed, as it came, and its usage is read', async () => {
  const response = await fetch(`${h.proxy.url}/big/v1/chat/completions?gzip`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    // A model of its own, so the large streams above (estimated tokens) do not share its series.
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  });
  expect(response.headers.get('content-encoding')).toBe('gzip');
  expect(await response.json()).toMatchObject({ usage: { prompt_tokens: 40 } });
  await settled(h);
  const labels = { provider: 'big', model: 'gpt-4o-mini', operation: 'chat' };
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(40);
  expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(60);
});
