import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseResponse, rawExchange, rawPost } from './raw-tcp-client.js';
import { HOSTILE_RSS_BOUND, type ProxyUnderTest, startProxyUnderTest } from './raw-tcp-proxy.js';
import { chatCompletionBody, rawResponse } from './raw-tcp-upstream.js';

// Status lines and interim responses an upstream can send but `node:http` would never write, and that the proxy
// cannot repeat to its client. Each must end in the proxy's own 502, recorded once, the proxy still up.

const CHAT = '/raw/v1/chat/completions';
const BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
const labels = { provider: 'raw', model: 'gpt-4o', operation: 'chat' };
/** The upstream's silence limit: a 502 must come long before it. */
const UPSTREAM_TIMEOUT_MS = 3000;
/** How many more times each hostile answer is sent, to see memory that stays behind. */
const REPEATS = 40;

let t: ProxyUnderTest;
let answer: (socket: Socket) => void = () => {};
beforeAll(async () => {
  t = await startProxyUnderTest((_request, socket) => answer(socket), {
    timeouts: { upstreamMs: UPSTREAM_TIMEOUT_MS },
  });
});
afterAll(async () => {
  await t?.close();
});

/** Sends a chat call through the proxy to an upstream answering with `raw`; returns the client's response. */
async function callAgainst(raw: string, keepOpen: boolean) {
  answer = (socket) => {
    socket.write(raw);
    // An upstream that switched protocols (or pretends to) keeps the connection: the proxy must not wait on it.
    if (!keepOpen) socket.end();
  };
  const before = await t.steady();
  const reply = await rawExchange(t.port, [rawPost(CHAT, BODY)], { timeoutMs: UPSTREAM_TIMEOUT_MS + 2000 });
  const after = await t.steady();
  return { reply, response: parseResponse(reply.text), before, after };
}

const UNREPEATABLE: [string, string][] = [
  ['status 099', 'HTTP/1.1 099 Odd'],
  ['status 000', 'HTTP/1.1 000 Zero'],
  ['a reason phrase with a control character', 'HTTP/1.1 200 O\u0001K'],
  ['a reason phrase with DEL', 'HTTP/1.1 200 O\u007fK'],
  ['a header value with a control character', 'HTTP/1.1 200 OK\r\nx-odd: a\u0001b'],
  ['a four-digit status', 'HTTP/1.1 2000 OK'],
  ['bytes that are not HTTP', 'SSH-2.0-OpenSSH_9.6'],
];
const SWITCHING: [string, string][] = [
  ['with Upgrade headers', 'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'],
  ['without Upgrade headers', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ['then garbage in the new protocol', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n\u0000\u0001\u0002'],
];

describe('a status line the proxy cannot repeat: 502, recorded once as server_error, the proxy stays up', () => {
  test.each(UNREPEATABLE)('%s', async (_name, head) => {
    const failuresBefore = await t.sum('llm_request_failures_total', { ...labels, error_type: 'server_error' });
    const { reply, response, before, after } = await callAgainst(
      rawResponse(head, ['content-type: application/json'], chatCompletionBody('gpt-4o', 3, 4)),
      false,
    );
    expect(reply.status).toBe(502);
    expect(response?.headers['x-llmeter-error']).toBe('upstream_invalid_response');
    expect(JSON.parse(response?.body ?? '')).toMatchObject({
      error: { type: 'server_error', code: 'upstream_invalid_response' },
    });
    expect(after).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
    expect(await t.sum('llm_request_failures_total', { ...labels, error_type: 'server_error' })).toBe(
      failuresBefore + 1,
    );
  });
});

describe('101 Switching Protocols to a POST: 502 at once, not at the upstream timeout', () => {
  test.each(SWITCHING)('%s', async (_name, raw) => {
    const failuresBefore = await t.sum('llm_request_failures_total', { ...labels, error_type: 'server_error' });
    const { reply, response, before, after } = await callAgainst(raw, true);
    expect(reply.status).toBe(502);
    expect(reply.elapsedMs).toBeLessThan(1000);
    expect(response?.headers['x-llmeter-error']).toBe('upstream_invalid_response');
    expect(after).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
    expect(await t.sum('llm_request_failures_total', { ...labels, error_type: 'server_error' })).toBe(
      failuresBefore + 1,
    );
  });

  test('interim responses Node knows (100, 102, 103) before the real one: the real one passes', async () => {
    const interim =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n';
    const final = rawResponse(
      'HTTP/1.1 200 OK',
      ['content-type: application/json'],
      chatCompletionBody('gpt-4o', 5, 6),
    );
    const { reply, response, before, after } = await callAgainst(interim + final, false);
    expect(reply.status).toBe(200);
    expect(response?.status).toBe(200);
    expect(JSON.parse(response?.body ?? '')).toMatchObject({ usage: { prompt_tokens: 5 } });
    expect(after).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
  });
});

test(`each of them ${REPEATS} times more, 16 at a time: each call recorded once, memory bounded`, async () => {
  const answers = [
    ...UNREPEATABLE.map(([, head]) => ({
      raw: rawResponse(head, ['content-type: application/json'], chatCompletionBody('gpt-4o', 3, 4)),
      keepOpen: false,
    })),
    ...SWITCHING.map(([, raw]) => ({ raw, keepOpen: true })),
  ];
  // The upstream answers by the request's `?case=N`.
  answer = () => {};
  t.upstream.respond = (request, socket) => {
    const chosen = answers[Number(new URL(request.target, 'http://x').searchParams.get('case'))];
    socket.write(chosen?.raw ?? '');
    if (!chosen?.keepOpen) socket.end();
  };
  const before = await t.steady();
  const calls = Array.from({ length: REPEATS * answers.length }, (_, i) => i % answers.length);
  const statuses: number[] = [];
  for (let at = 0; at < calls.length; at += 16) {
    const replies = await Promise.all(
      calls
        .slice(at, at + 16)
        .map((n) => rawExchange(t.port, [rawPost(`${CHAT}?case=${n}`, BODY)], { timeoutMs: 2000 })),
    );
    for (const reply of replies) statuses.push(reply.status ?? 0);
  }
  expect(new Set(statuses)).toEqual(new Set([502]));
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + calls.length });
  expect(t.rssGrowth()).toBeLessThan(HOSTILE_RSS_BOUND);
});
