import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

// An SSE reply whose event never ends: 100 MiB in one data line, or 100 MiB of data lines without the blank line
// that would close their event. The client must get the bytes as they come, and the proxy's copy must not grow
// with them: one event is held up to 8 MiB to be measured (SSE_EVENT_LENGTH_LIMIT), and, when the proxy asked for
// usage on the client's behalf, up to 1 MiB to be filtered (USAGE_FILTER_EVENT_BYTES_LIMIT); past that it passes.

const TOTAL = 100 * MiB;
/** The upstream sends half, then waits for the client to have most of it before sending the rest. */
const HALF = TOTAL / 2;
const PIECE = 64 * 1024;

/** How the endless event is made. */
export const unboundedShapes = {
  'one 100 MiB data line': { opening: 'data: ', piece: Buffer.alloc(PIECE, 'x') },
  '100 MiB of data lines without a blank line': {
    opening: '',
    piece: Buffer.from(`data: ${'y'.repeat(1017)}\n`.repeat(PIECE / 1024)),
  },
} as const;
export type UnboundedShape = keyof typeof unboundedShapes;

const closing = Buffer.from(
  `\n\ndata: ${JSON.stringify({ id: 'c', model: 'gpt-4o', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
);

/**
 * Defines the tests of one shape, in a file of its own (its own process, for its own RSS): through the usage
 * filter (the client did not ask for usage, so the proxy did) and through the plain measured copy.
 */
export function unboundedEventTests(shape: UnboundedShape): void {
  const { opening, piece } = unboundedShapes[shape];
  let upstream: RawUpstream;
  let proxied: Awaited<ReturnType<typeof startMeasuredProxy>>;
  let clientHasHalf: Promise<void> = Promise.resolve();
  const expected = createHash('sha256').update(opening);
  for (let sent = 0; sent < TOTAL; sent += piece.length) expected.update(piece);
  const sentHash = expected.update(closing).digest('hex');

  beforeAll(async () => {
    upstream = await startRawUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = function* (from: number, to: number): Generator<Buffer> {
        for (let sent = from; sent < to; sent += piece.length) yield piece;
      };
      res.write(opening);
      void writeAll(res, pieces(0, HALF), false)
        .then(() => within(clientHasHalf, 10_000, 'half the stream reaching the client'))
        .then(() => writeAll(res, [...pieces(HALF, TOTAL), closing]))
        .catch(() => res.destroy());
    });
    proxied = await startMeasuredProxy(upstream.url);
    await warmUp(proxied.proxy, proxied.registry);
  });

  afterAll(async () => {
    await proxied?.proxy.close();
    await upstream?.close();
  });

  describe(`${shape}: bytes reach the client as they come, memory bounded, recorded once`, () => {
    test.each([
      ['through the usage filter (usage asked for on the client’s behalf)', false],
      ['through the measured copy (the client asked for usage itself)', true],
    ])('%s', async (_name, clientAsksUsage) => {
      const { proxy, registry } = proxied;
      let half: () => void = () => {};
      clientHasHalf = new Promise((resolve) => {
        half = resolve;
      });
      const model = clientAsksUsage ? 'gpt-4o' : 'gpt-4o-mini';
      const body = {
        model,
        stream: true,
        messages: [],
        ...(clientAsksUsage ? { stream_options: { include_usage: true } } : {}),
      };
      const before = await metricSum(registry, 'llm_requests_total');
      const hash = createHash('sha256');
      const memory = memoryProbe();
      memory.start();
      const started = performance.now();
      const reply = await within(
        rawPost(`${proxy.url}/hostile/v1/chat/completions`, JSON.stringify(body), {
          onBytes: (chunk, received) => {
            hash.update(chunk);
            if (Math.floor(received / (10 * MiB)) > Math.floor((received - chunk.length) / (10 * MiB))) memory.sample();
            // The proxy may hold back at most one event's limit of what the upstream sent so far.
            if (received >= HALF - 2 * MiB) half();
          },
        }),
        30_000,
        'the reply',
      );
      await settled(registry);
      const growth = memory.stop();
      console.info(
        `${shape}, ${clientAsksUsage ? 'measured copy' : 'usage filter'}: ${(reply.received / MiB).toFixed(0)} MiB ` +
          `in ${((performance.now() - started) / 1000).toFixed(2)} s, peak growth: RSS ` +
          `${(growth.rss / MiB).toFixed(1)} MiB, retained ${(growth.retained / MiB).toFixed(1)} MiB`,
      );
      expect(reply.status).toBe(200);
      expect(reply.received).toBe(opening.length + TOTAL + closing.length);
      expect(hash.digest('hex')).toBe(sentHash);
      expect(await healthy(proxy)).toBe(true);
      // Read whole, the event held ~100 MiB (~250 MiB of RSS); now the copy holds at most its limit (8 MiB, or 1 MiB
      // in the filter). The rest is the stream buffers of the three parties sharing this process (~20-40 MiB on
      // loopback), and RSS also counts buffers not yet collected: hence the margins.
      expect(growth.retained).toBeLessThan(64 * MiB);
      expect(growth.rss).toBeLessThan(150 * MiB);
      const labels = { provider: 'hostile', model };
      expect((await metricSum(registry, 'llm_requests_total')) - before).toBe(1);
      // The endless event is left out; the finish chunk after it is read: a call that ended normally.
      expect(await metricSum(registry, 'llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
      expect(await metricSum(registry, 'llm_requests_in_flight')).toBe(0);
    });
  });
}
