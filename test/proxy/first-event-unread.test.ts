import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';

// The proxy forwards an injected stream's first event before reading it (usage-injection.ts): the first bytes do
// not wait for the stream's first JSON to be read. When that event is the first token (a server that sends no
// role-only chunk first), its time is still the one measured, not the next event's.

const SECOND_EVENT_DELAY_MS = 400;
const event = (body: Record<string, unknown>) => `data: ${JSON.stringify(body)}\n\n`;
const chunk = (content: string | undefined, finish: string | null, usage: unknown) =>
  event({
    id: 'chatcmpl-first',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'gpt-4o',
    choices: content === undefined ? [] : [{ index: 0, delta: { content }, finish_reason: finish }],
    usage,
  });
const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };

const bodies: unknown[] = [];
const upstream: Server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    bodies.push(JSON.parse(Buffer.concat(parts).toString('utf8')));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Head and first event in one turn: the proxy gets them together, as from a server that flushes both.
    res.write(chunk('Hi', null, null));
    setTimeout(() => {
      res.end(`${chunk(' there', 'stop', null)}${chunk(undefined, null, usage)}data: [DONE]\n\n`);
    }, SECOND_EVENT_DELAY_MS);
  });
});
let h: ProxyHarness;
beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  h = await startHarness({}, { eager: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
}, 30_000);
afterAll(async () => {
  await h?.close();
  upstream.closeAllConnections();
  upstream.close();
});

test('an injected stream whose first event is its first token: measured when that event went out', async () => {
  const response = await fetch(`${h.proxy.url}/eager/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  // The upstream was asked for usage; the client gets the stream it asked for, usage chunk and members cut.
  expect(bodies).toEqual([expect.objectContaining({ stream_options: { include_usage: true } })]);
  expect(text).toBe(
    `${chunk('Hi', null, null)}${chunk(' there', 'stop', null)}data: [DONE]\n\n`.replaceAll(',"usage":null', ''),
  );
  await settled(h);
  const metrics = await h.metrics();
  const labels = { provider: 'eager', model: 'gpt-4o', operation: 'chat' };
  expect(sampleSum(metrics, 'llm_tokens_total', { ...labels, type: 'output' })).toBe(2);
  expect(sampleSum(metrics, 'llm_time_to_first_token_seconds_count', labels)).toBe(1);
  // The second event came 400 ms after the first: the first token was measured before it.
  const early = findSamples(metrics, 'llm_time_to_first_token_seconds_bucket', { ...labels, le: '0.25' });
  expect(early.reduce((sum, sample) => sum + sample.value, 0)).toBe(1);
});
