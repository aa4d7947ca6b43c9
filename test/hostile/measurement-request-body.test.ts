import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  healthy,
  metricSum,
  type RawUpstream,
  rawPost,
  settled,
  startMeasuredProxy,
  startRawUpstream,
  within,
} from './measurement-support.js';

// The proxy asks a stream for its usage by editing the request's bytes: one member inserted, every other byte as
// the client wrote it. A body nested 10,000 levels deep (about 20 KB, no credentials needed) used to overflow the
// stack while the proxy re-serialized it, an unhandled rejection that left the client without an answer.

const LIMIT = 64 * 1024;
const frame = (data: string) => `data: ${data}\n\n`;
const stream =
  frame(
    '{"id":"c","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}',
  ) +
  frame('{"id":"c","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}') +
  frame('{"id":"c","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}') +
  frame('[DONE]');
const clientStream = stream.replaceAll(',"usage":null', '').replace(/data: \{[^\n]*"choices":\[\],[^\n]*\n\n/, '');

let upstream: RawUpstream;
let proxied: Awaited<ReturnType<typeof startMeasuredProxy>>;
beforeAll(async () => {
  upstream = await startRawUpstream((_req, res, body) => {
    if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(stream);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"x","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}');
    }
  });
  proxied = await startMeasuredProxy(upstream.url, { limits: { requestBodyBytes: LIMIT } });
});
afterAll(async () => {
  await proxied?.proxy.close();
  await upstream?.close();
});

describe('request bodies the proxy edits or measures', () => {
  test('a body nested 10,000 levels deep naming stream_options: edited in its bytes, forwarded, recorded once', async () => {
    const { proxy, registry } = proxied;
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const body = `{"model":"gpt-4o","stream":true,"seed":9007199254740993,"user":"caf\\u00e9","stream_options":{"deep":${deep}},"messages":[{"role":"user","content":"hi"}]}`;
    const before = upstream.bodies.length;
    const reply = await within(
      rawPost(`${proxy.url}/hostile/v1/chat/completions`, body, { keep: true }),
      10_000,
      'the reply',
    );
    await settled(registry);
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe(clientStream);
    // Byte for byte what the client sent, with the one member inserted where the option goes.
    expect(upstream.bodies.length).toBe(before + 1);
    expect(upstream.bodies.at(-1)?.toString()).toBe(
      body.replace('"stream_options":{', '"stream_options":{"include_usage":true,'),
    );
    expect(await healthy(proxy)).toBe(true);
    const labels = { provider: 'hostile', model: 'gpt-4o', operation: 'chat' };
    expect(await metricSum(registry, 'llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await metricSum(registry, 'llm_tokens_total', { ...labels, type: 'output' })).toBe(2);
  });

  test.each(['Application/JSON', 'APPLICATION/JSON; charset=utf-8'])(
    'a %s body is measured and size-limited like application/json',
    async (type) => {
      const { proxy, registry } = proxied;
      const model = `m-${type.length}`;
      const small = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
      const ok = await rawPost(`${proxy.url}/hostile/v1/chat/completions`, small, {
        headers: { 'content-type': type },
      });
      expect(ok.status).toBe(200);
      await settled(registry);
      // Measured: the call carries the model its body names.
      expect(await metricSum(registry, 'llm_requests_total', { provider: 'hostile', model })).toBe(1);
      const big = JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] });
      const before = upstream.bodies.length;
      const refused = await rawPost(`${proxy.url}/hostile/v1/chat/completions`, big, {
        headers: { 'content-type': type },
      });
      expect(refused.status).toBe(413);
      expect(upstream.bodies.length).toBe(before);
      expect(await healthy(proxy)).toBe(true);
    },
  );
});
