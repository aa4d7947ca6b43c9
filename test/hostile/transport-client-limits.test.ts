import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseResponse, rawExchange } from './raw-tcp-client.js';
import { HOSTILE_RSS_BOUND, type ProxyUnderTest, startProxyUnderTest } from './raw-tcp-proxy.js';
import { chatCompletionBody, rawResponse } from './raw-tcp-upstream.js';

// What a hostile client sends before its body: headers past Node's limit, and `Expect: 100-continue` for a body
// the proxy will refuse. Neither reaches the upstream, neither is a call.

const CHAT = '/raw/v1/chat/completions';
const LIMIT = 4096;
/** Refusals sent again at the end, to see memory that stays behind. */
const REPEATS = 200;

let t: ProxyUnderTest;
beforeAll(async () => {
  t = await startProxyUnderTest(
    (_request, socket) => {
      socket.write(
        rawResponse('HTTP/1.1 200 OK', ['content-type: application/json'], chatCompletionBody('gpt-4o', 1, 1)),
      );
    },
    { limits: { requestBodyBytes: LIMIT } },
  );
});
afterAll(async () => {
  await t?.close();
});

const head = (lines: readonly string[]) => `${[...lines, ''].join('\r\n')}\r\n`;

test('headers over 16 KB: 431, not a call', async () => {
  const before = await t.steady();
  const received = t.upstream.received.length;
  const reply = await rawExchange(t.port, [
    head([`POST ${CHAT} HTTP/1.1`, 'host: 127.0.0.1', `x-padding: ${'a'.repeat(20_000)}`, 'content-length: 2']),
    '{}',
  ]);
  expect(reply.status).toBe(431);
  expect(reply.text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  expect(t.upstream.received.length).toBe(received);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded });
});

test('Expect: 100-continue with a declared body over the limit: 413 at once, without 100 Continue', async () => {
  const before = await t.steady();
  const received = t.upstream.received.length;
  // Only the head is sent: a client that waits for 100 Continue before its body.
  const reply = await rawExchange(
    t.port,
    [
      head([
        `POST ${CHAT} HTTP/1.1`,
        'host: 127.0.0.1',
        'content-type: application/json',
        `content-length: ${LIMIT + 1}`,
        'expect: 100-continue',
      ]),
    ],
    { timeoutMs: 3000 },
  );
  expect(reply.status).toBe(413);
  expect(reply.text).not.toContain('100 Continue');
  // The connection is closed after it: the unread body must not be taken for a next request.
  expect(reply.endedBy).toBe('end');
  expect(reply.elapsedMs).toBeLessThan(1000);
  expect(JSON.parse(parseResponse(reply.text)?.body ?? '')).toMatchObject({ error: { code: 'request_too_large' } });
  expect(t.upstream.received.length).toBe(received);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded });
});

test('Expect: 100-continue with a body within the limit: 100 Continue, then the call goes through once', async () => {
  const before = await t.steady();
  const received = t.upstream.received.length;
  const body = JSON.stringify({ model: 'gpt-4o', messages: [] });
  const reply = await rawExchange(t.port, [
    head([
      `POST ${CHAT} HTTP/1.1`,
      'host: 127.0.0.1',
      'content-type: application/json',
      `content-length: ${body.length}`,
      'expect: 100-continue',
      'connection: close',
    ]),
    // The body only once the proxy said to go on.
    async (receivedSoFar) => {
      for (let waited = 0; !receivedSoFar().includes('100 Continue') && waited < 2000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return body;
    },
  ]);
  expect(reply.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  expect(t.upstream.received.length).toBe(received + 1);
  // The proxy answered the expectation itself: the upstream does not see it.
  expect(t.upstream.received.at(-1)?.headers.expect).toBeUndefined();
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
});

test(`${REPEATS} more of each refusal, 16 at a time: the upstream sees none, memory bounded`, async () => {
  const before = await t.steady();
  const received = t.upstream.received.length;
  const oversized = head([`POST ${CHAT} HTTP/1.1`, 'host: 127.0.0.1', `x-padding: ${'a'.repeat(20_000)}`, '']);
  const expecting = head([
    `POST ${CHAT} HTTP/1.1`,
    'host: 127.0.0.1',
    'content-type: application/json',
    `content-length: ${LIMIT + 1}`,
    'expect: 100-continue',
  ]);
  const statuses: number[] = [];
  for (let at = 0; at < 2 * REPEATS; at += 16) {
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, i) => rawExchange(t.port, [(at + i) % 2 === 0 ? oversized : expecting])),
    );
    for (const reply of replies) statuses.push(reply.status ?? 0);
  }
  expect(statuses.filter((status) => status === 431)).toHaveLength(REPEATS);
  expect(statuses.filter((status) => status === 413)).toHaveLength(REPEATS);
  expect(t.upstream.received.length).toBe(received);
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded });
  expect(t.rssGrowth()).toBeLessThan(HOSTILE_RSS_BOUND);
});
