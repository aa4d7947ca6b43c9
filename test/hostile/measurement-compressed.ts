import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  healthy,
  MiB,
  memoryProbe,
  metricSum,
  type RawUpstream,
  rawPost,
  settled,
  startMeasuredProxy,
  startRawUpstream,
  warmUp,
  within,
  writeAll,
} from './measurement-support.js';

// A gzip-encoded SSE reply is forwarded as it came (compressed); the proxy decodes a copy to measure it. A reply of
// about 1 MB on the wire that decodes to 1 GiB (a "zip bomb", ratio ~1000:1) must cost neither 1 GiB of memory
// nor the time to decode it all: the copy stops at 64 MiB decoded (MEASURED_DECODED_BYTES_LIMIT), and one event
// is never held past 8 MiB (SSE_EVENT_LENGTH_LIMIT). The reply is sent as gzip members of 64 MiB decoded each,
// built once, so the test never holds the decoded gigabyte either.

const DECODED = 1024 * MiB;
const MEMBER_DECODED = 64 * MiB;
const MEMBERS = DECODED / MEMBER_DECODED;
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** What the 1 GiB decodes to: ordinary chat chunks, or one event whose data line never ends. */
export const compressedShapes = {
  'chat chunks of 1,000 characters': () => {
    const event = Buffer.from(chunk({ content: 'x'.repeat(1000) }));
    const member = gzipSync(Buffer.alloc(Math.floor(MEMBER_DECODED / event.length) * event.length, event), {
      level: 9,
    });
    return { first: member, member };
  },
  'one endless data line': () => ({
    first: gzipSync(Buffer.concat([Buffer.from('data: '), Buffer.alloc(MEMBER_DECODED - 6, 'x')]), { level: 9 }),
    member: gzipSync(Buffer.alloc(MEMBER_DECODED, 'x'), { level: 9 }),
  }),
};
export type CompressedShape = keyof typeof compressedShapes;

const last = gzipSync(`\n\n${chunk({}, 'stop')}data: [DONE]\n\n`);

/**
 * Defines the test of one shape, in a file of its own: each test file runs in a process of its own, so the RSS
 * growth of one shape is not measured on top of another's.
 */
export function compressedSseTest(shape: CompressedShape): void {
  let upstream: RawUpstream;
  let proxied: Awaited<ReturnType<typeof startMeasuredProxy>>;
  /** The reply the upstream sends next, and what tells it the client has the first bytes. */
  let next: { first: Buffer; member: Buffer; clientHasBytes: Promise<void> } | undefined;

  beforeAll(async () => {
    upstream = await startRawUpstream((_req, res) => {
      const reply = next;
      if (reply === undefined) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      res.write(reply.first);
      // The rest only once the client has the first bytes: they must reach it while the upstream is still sending.
      void within(reply.clientHasBytes, 5000, 'the first bytes reaching the client').then(
        () => writeAll(res, [...Array.from({ length: MEMBERS - 1 }, () => reply.member), last]),
        () => res.destroy(),
      );
    });
    proxied = await startMeasuredProxy(upstream.url);
    await warmUp(proxied.proxy, proxied.registry);
  });

  afterAll(async () => {
    await proxied?.proxy.close();
    await upstream?.close();
  });

  test(`an SSE reply gzip-compressed ~1000:1 to 1 GiB decoded (${shape}): forwarded as it came, measured up to the cap, memory bounded`, async () => {
    const { first, member } = compressedShapes[shape]();
    let clientGotBytes: () => void = () => {};
    const clientHasBytes = new Promise<void>((resolve) => {
      clientGotBytes = resolve;
    });
    next = { first, member, clientHasBytes };
    const { proxy, registry } = proxied;
    const model = shape.startsWith('chat') ? 'gpt-4o' : 'gpt-4o-mini';
    const before = await metricSum(registry, 'llm_requests_total');
    const memory = memoryProbe();
    memory.start();
    const started = performance.now();
    const reply = await within(
      rawPost(
        `${proxy.url}/hostile/v1/chat/completions`,
        JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [] }),
        {
          keep: true,
          onBytes: (chunk, received) => {
            clientGotBytes();
            if (Math.floor(received / (256 * 1024)) > Math.floor((received - chunk.length) / (256 * 1024))) {
              memory.sample();
            }
          },
        },
      ),
      30_000,
      'the reply',
    );
    await settled(registry);
    const growth = memory.stop();
    const seconds = (performance.now() - started) / 1000;
    const labels = { provider: 'hostile', model };
    const outputTokens = await metricSum(registry, 'llm_tokens_total', { ...labels, type: 'output' });
    console.info(
      `gzip SSE (${shape}): ${reply.received} bytes on the wire, ${DECODED / MiB} MiB decoded ` +
        `(${Math.round(DECODED / reply.received)}:1), peak growth: RSS ${(growth.rss / MiB).toFixed(1)} MiB, ` +
        `retained ${(growth.retained / MiB).toFixed(1)} MiB, ` +
        `${seconds.toFixed(2)} s, ${outputTokens} output tokens estimated`,
    );
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBe('gzip');
    const sent = Buffer.concat([first, ...Array.from({ length: MEMBERS - 1 }, () => member), last]);
    expect(reply.body.equals(sent)).toBe(true);
    expect(await healthy(proxy)).toBe(true);
    expect(growth.retained).toBeLessThan(64 * MiB);
    expect(growth.rss).toBeLessThan(150 * MiB);
    // Recorded once, from the first 64 MiB it decoded: tokens counted locally from that part only (~1 GiB of
    // text read whole would be ten times as many), and not as a failure: the upstream ended the reply cleanly.
    expect((await metricSum(registry, 'llm_requests_total')) - before).toBe(1);
    expect(await metricSum(registry, 'llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await metricSum(registry, 'llm_usage_estimated_total', labels)).toBe(1);
    expect(outputTokens).toBeLessThan(64 * MiB);
    expect(await metricSum(registry, 'llm_requests_in_flight')).toBe(0);
  }, 60_000);
}
