import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { parseResponse, rawExchange, rawPost } from './raw-tcp-client.js';
import { HOSTILE_RSS_BOUND, type ProxyUnderTest, residentAfterGc, startProxyUnderTest } from './raw-tcp-proxy.js';
import { chatCompletionBody, type RawRequest, rawResponse } from './raw-tcp-upstream.js';

// Pooled upstream connections: a request body is never sent upstream twice (a second, billed generation nobody
// counted), so the proxy must not retry on a reused connection that fails; it avoids stale ones instead.

const CHAT = '/raw/v1/chat/completions';
const BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
const labels = { provider: 'raw', model: 'gpt-4o', operation: 'chat' };
const OK = rawResponse('HTTP/1.1 200 OK', ['content-type: application/json'], chatCompletionBody('gpt-4o', 2, 3));
/** Calls at the end, every second one reset on a reused connection, to see memory that stays behind. */
const REPEATS = 200;

let t: ProxyUnderTest;
let baselineRss = 0;
let answer: (request: RawRequest, socket: Socket) => void | Promise<void> = () => {};
beforeAll(async () => {
  t = await startProxyUnderTest((request, socket) => answer(request, socket), { timeouts: { upstreamMs: 10_000 } });
  // After the first start, which loads what is loaded once (the tokenizers).
  baselineRss = residentAfterGc();
});
afterAll(async () => {
  await t?.close();
});
/** Each test starts with no pooled connection (those of the test before are cut). */
beforeEach(async () => {
  await t.close();
  t = await startProxyUnderTest((request, socket) => answer(request, socket), { timeouts: { upstreamMs: 10_000 } });
});

const call = () => rawExchange(t.port, [rawPost(CHAT, BODY)], { timeoutMs: 8000 });

test('a reused connection reset after the upstream read the request: 502 network, sent once, recorded once', async () => {
  answer = (request, socket) => {
    // The first request on a connection is answered (and the connection kept); the second is read, then reset.
    if (request.onConnection === 0) socket.write(OK);
    else socket.resetAndDestroy();
  };
  const first = await call();
  expect(first.status).toBe(200);
  const before = await t.steady();
  const networkBefore = await t.sum('llm_request_failures_total', { ...labels, error_type: 'network' });

  const second = await call();
  expect(second.status).toBe(502);
  expect(parseResponse(second.text)?.headers['x-llmeter-error']).toBe('upstream_unreachable');
  // The upstream's own tally: the first call, and the second once (today's retry sent it again).
  expect(t.upstream.received.map((request) => request.onConnection)).toEqual([0, 1]);
  expect(t.upstream.connections).toBe(1);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
  expect(await t.sum('llm_request_failures_total', { ...labels, error_type: 'network' })).toBe(networkBefore + 1);
});

test('a connection the upstream closed after its response is not reused', async () => {
  answer = (_request, socket) => {
    socket.write(OK);
    socket.end();
  };
  const before = await t.steady();
  for (let i = 0; i < 5; i++) {
    expect((await call()).status).toBe(200);
    // The upstream's FIN has arrived by the next call.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(t.upstream.received.map((request) => request.onConnection)).toEqual([0, 0, 0, 0, 0]);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 5 });
});

test('the proxy closes an idle pooled connection after 4 s, before a 5 s upstream would; a slower reply still waits', async () => {
  const closedByProxy: number[] = [];
  answer = async (request, socket) => {
    if (request.target.includes('slow')) {
      // A reply that takes longer than the idle limit: an active request is not cut by it.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      socket.write(OK);
      return;
    }
    socket.write(OK);
    const answeredAt = performance.now();
    socket.once('end', () => closedByProxy.push(performance.now() - answeredAt));
  };
  const [slow, quick] = await Promise.all([
    rawExchange(t.port, [rawPost(`${CHAT}?slow`, BODY)], { timeoutMs: 8000 }),
    call(),
  ]);
  expect(quick.status).toBe(200);
  expect(slow.status).toBe(200);
  expect(slow.elapsedMs).toBeGreaterThan(4500);
  expect(closedByProxy).toHaveLength(1);
  expect(closedByProxy[0]).toBeGreaterThan(3900);
  expect(closedByProxy[0]).toBeLessThan(4800);
  expect((await t.steady()).inFlight).toBe(0);
}, 15_000);

test(`${REPEATS} more resets on reused connections: each request sent once, recorded once, memory bounded`, async () => {
  answer = (request, socket) => {
    if (request.onConnection === 0) socket.write(OK);
    else socket.resetAndDestroy();
  };
  const before = await t.steady();
  const statuses: number[] = [];
  for (let i = 0; i < REPEATS; i++) statuses.push((await call()).status ?? 0);
  expect(statuses).toEqual(Array.from({ length: REPEATS }, (_, i) => (i % 2 === 0 ? 200 : 502)));
  // One request read per call: none sent twice.
  expect(t.upstream.received).toHaveLength(REPEATS);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + REPEATS });
  expect(residentAfterGc() - baselineRss).toBeLessThan(HOSTILE_RSS_BOUND);
});
