import type { Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseResponse, rawExchange, rawPost } from './raw-tcp-client.js';
import { HOSTILE_RSS_BOUND, type ProxyUnderTest, startProxyUnderTest } from './raw-tcp-proxy.js';
import type { RawRequest } from './raw-tcp-upstream.js';

// The proxy asks a stream for usage (`stream_options.include_usage`) and for `accept-encoding: identity`, so that
// it can take the usage chunk and the `"usage":null` members out again. An upstream that compresses the stream
// anyway must not make them leak: the client gets exactly the stream it asked for, decoded.

const CHAT = '/raw/v1/chat/completions';
const REQUEST = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
const labels = { provider: 'raw', model: 'gpt-4o', operation: 'chat' };
/** Streams sent again at the end, to see memory that stays behind. */
const REPEATS = 200;

const chunk = (delta: object, finishReason: string | null) => ({
  id: 'chatcmpl-z',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});
const CHUNKS = [
  chunk({ role: 'assistant', content: '' }, null),
  chunk({ content: 'Hello' }, null),
  chunk({ content: ' there' }, null),
  chunk({}, 'stop'),
];
const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
/** What OpenAI sends when asked for usage: `"usage":null` on every chunk, then a usage-only chunk. */
const UPSTREAM_STREAM = [
  ...CHUNKS.map((c) => `data: ${JSON.stringify({ ...c, usage: null })}\n\n`),
  `data: ${JSON.stringify({ ...chunk({}, null), choices: [], usage: USAGE })}\n\n`,
  'data: [DONE]\n\n',
].join('');
/** What the client, which did not ask for usage, must get. */
const CLIENT_STREAM = [...CHUNKS.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].join('');

const ENCODERS: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: (bytes) => gzipSync(bytes),
  deflate: (bytes) => deflateSync(bytes),
  br: (bytes) => brotliCompressSync(bytes),
};

let t: ProxyUnderTest;
let answer: (request: RawRequest, socket: Socket) => void = () => {};
beforeAll(async () => {
  t = await startProxyUnderTest((request, socket) => answer(request, socket));
});
afterAll(async () => {
  await t?.close();
});

/** An SSE response in `encoding`, chunked, its compressed bytes split in pieces of `piece` bytes. */
function compressedStream(socket: Socket, encoding: string, body: Buffer, piece: number): void {
  socket.write(
    `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: ${encoding}\r\ntransfer-encoding: chunked\r\n\r\n`,
  );
  for (let at = 0; at < body.length; at += piece) {
    const part = body.subarray(at, at + piece);
    socket.write(`${part.length.toString(16)}\r\n`);
    socket.write(part);
    socket.write('\r\n');
  }
  // The connection stays open for the next request, as the response did not say `connection: close`.
  socket.write('0\r\n\r\n');
}

describe('a stream compressed although the proxy asked for identity reaches the client decoded, usage hidden', () => {
  test.each(['gzip', 'deflate', 'br'])('%s', async (encoding) => {
    const encode = ENCODERS[encoding] as (bytes: Buffer) => Buffer;
    let asked: RawRequest | undefined;
    answer = (request, socket) => {
      asked = request;
      compressedStream(socket, encoding, encode(Buffer.from(UPSTREAM_STREAM)), 7);
    };
    const before = await t.steady();
    const tokensBefore = await t.sum('llm_tokens_total', { ...labels, type: 'input' });
    const estimatedBefore = await t.sum('llm_usage_estimated_total', labels);
    const reply = await rawExchange(t.port, [rawPost(CHAT, REQUEST, ['accept-encoding: gzip, br'])]);
    const response = parseResponse(reply.text);

    // The proxy asked for usage, uncompressed.
    expect(JSON.parse(asked?.body.toString() ?? '')).toMatchObject({ stream_options: { include_usage: true } });
    expect(asked?.headers['accept-encoding']).toBe('identity');
    // The client got the stream it asked for: decoded, no usage chunk, no "usage":null.
    expect(response?.status).toBe(200);
    expect(response?.headers['content-encoding']).toBeUndefined();
    expect(response?.headers['content-length']).toBeUndefined();
    expect(Buffer.from(response?.body ?? '', 'latin1').toString('utf8')).toBe(CLIENT_STREAM);
    // The call is recorded once, with the provider's usage.
    expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
    expect(await t.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(tokensBefore + 11);
    expect(await t.sum('llm_usage_estimated_total', labels)).toBe(estimatedBefore);
  });

  test('a body that does not decode: the client stream is cut, the call recorded once as stream_error', async () => {
    answer = (_request, socket) => {
      const valid = gzipSync(Buffer.from(UPSTREAM_STREAM));
      compressedStream(socket, 'gzip', Buffer.concat([valid.subarray(0, 30), Buffer.from('not gzip at all')]), 64);
    };
    const before = await t.steady();
    const failuresBefore = await t.sum('llm_request_failures_total', { ...labels, error_type: 'stream_error' });
    const reply = await rawExchange(t.port, [rawPost(CHAT, REQUEST)]);
    expect(reply.status).toBe(200);
    // Cut: the chunked body never got its last chunk.
    expect(reply.text.endsWith('0\r\n\r\n')).toBe(false);
    expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + 1 });
    expect(await t.sum('llm_request_failures_total', { ...labels, error_type: 'stream_error' })).toBe(
      failuresBefore + 1,
    );
  });
});

test(`${REPEATS} more gzip streams, 16 at a time: each exact, each recorded once, memory bounded`, async () => {
  const compressed = gzipSync(Buffer.from(UPSTREAM_STREAM));
  answer = (_request, socket) => compressedStream(socket, 'gzip', compressed, 512);
  const before = await t.steady();
  const tokensBefore = await t.sum('llm_tokens_total', { ...labels, type: 'output' });
  const bodies: string[] = [];
  for (let at = 0; at < REPEATS; at += 16) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(16, REPEATS - at) }, () => rawExchange(t.port, [rawPost(CHAT, REQUEST)])),
    );
    for (const reply of replies) bodies.push(Buffer.from(parseResponse(reply.text)?.body ?? '', 'latin1').toString());
  }
  expect(new Set(bodies)).toEqual(new Set([CLIENT_STREAM]));
  expect(await t.steady()).toEqual({ healthz: 200, inFlight: 0, recorded: before.recorded + REPEATS });
  expect(await t.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(tokensBefore + 7 * REPEATS);
  expect(t.rssGrowth()).toBeLessThan(HOSTILE_RSS_BOUND);
});
