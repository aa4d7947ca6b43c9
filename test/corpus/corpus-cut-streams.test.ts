import type { RunningProxy } from '@llmeter/proxy';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { useReplayUpstream } from '../support/replay-upstream.js';
import { type CorpusFixture, responseBytes } from './corpus.js';
import {
  bytesForClient,
  callThroughSdk,
  expectBill,
  fetchThroughProxy,
  proxyTo,
  type Record_,
  recorded,
  recordOf,
} from './front-end-calls.js';
import type { Bill } from './independent-bill.js';
import { expectedBill, frontEndFixtures, sdkFixtures } from './replayed-fixtures.js';

// Every recorded stream of the corpus, cut in the middle of its bytes by the upstream (the connection destroyed,
// no terminating chunk), through both front ends. No public project records a cut stream (cassettes keep whole
// bodies), so the cut is made here, at replay time, from the recorded bytes. The record must follow callOutcome's
// policy for a stream that ended without the provider's end marker:
// - `error_type="stream_error"`;
// - the usage the provider reported before the cut (Anthropic's message_start, Gemini's running usageMetadata),
//   equal to the independent bill of the events that arrived whole; else a local estimate;
// - a background response (or a resumed one) is neither estimated nor counted: the provider finishes and bills
//   it, and a later poll counts it.
// The Gemini JSON-array stream is left out: a cut array is not JSON, so no independent reading of its part exists.

const cutFixtures = frontEndFixtures.filter(
  (fixture) => fixture.stream && fixture.status === 200 && !fixture.contentType.startsWith('application/json'),
);

/** Where the upstream cuts: the middle of the recorded bytes. */
const cutAt = (fixture: CorpusFixture): number => Math.floor(responseBytes(fixture).length / 2);

/** The part of a cut body made of whole events (SSE: up to the last blank line; NDJSON: the last newline). */
function wholeEvents(fixture: CorpusFixture, text: string): string {
  if (fixture.contentType.includes('ndjson')) return text.slice(0, text.lastIndexOf('\n') + 1);
  const ends = [...text.matchAll(/\r?\n\r?\n/g)];
  const last = ends.at(-1);
  return last === undefined ? '' : text.slice(0, (last.index ?? 0) + last[0].length);
}

/** What callOutcome's policy says the cut call records. */
type CutPolicy = { usage: 'deferred' } | { usage: 'reported'; bill: Bill } | { usage: 'estimated' };

function cutPolicy(fixture: CorpusFixture): CutPolicy {
  if (fixture.features.includes('background') || fixture.api === 'openai-responses-retrieve') {
    return { usage: 'deferred' };
  }
  const arrived = wholeEvents(fixture, responseBytes(fixture).subarray(0, cutAt(fixture)).toString('utf8'));
  const bill = arrived === '' ? undefined : expectedBill(fixture, arrived);
  return bill === undefined ? { usage: 'estimated' } : { usage: 'reported', bill };
}

function expectCutRecord(fixture: CorpusFixture, record: Record_): void {
  expect(record.requests).toBe(1);
  expect(record.inFlight).toBe(0);
  expect(record.errorTypes).toEqual({ stream_error: 1 });
  expect(record.missing).toBe(0);
  const policy = cutPolicy(fixture);
  if (policy.usage === 'deferred') {
    expect(record.tokens).toEqual({});
    expect(record.estimated).toBe(0);
    expect(record.cost).toBe(0);
  } else if (policy.usage === 'reported') {
    expect(record.estimated).toBe(0);
    expectBill(record, policy.bill);
  } else {
    expect(record.estimated).toBe(1);
    expect(record.tokens.input ?? 0).toBeGreaterThan(0);
  }
}

/** Sends a fixture's request through the proxy and reads what arrives until the connection fails. */
async function readCutThroughProxy(proxy: RunningProxy, fixture: CorpusFixture): Promise<Buffer> {
  const response = await fetchThroughProxy(proxy, fixture);
  expect(response.status).toBe(200);
  const chunks: Uint8Array[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch {
    // The cut reaches the client as a failed read.
  }
  return Buffer.concat(chunks);
}

describe('the corpus’s streams cut mid-body, through both front ends', () => {
  const upstream = useReplayUpstream();

  const cut = (fixture: CorpusFixture) => ({
    status: fixture.status,
    contentType: fixture.contentType,
    body: responseBytes(fixture),
    ending: { cutAfterBytes: cutAt(fixture) },
  });

  it('cuts every SSE and NDJSON stream the front ends replay, each policy at least once', () => {
    expect(cutFixtures.length).toBeGreaterThanOrEqual(20);
    const policies = new Set(cutFixtures.map((fixture) => cutPolicy(fixture).usage));
    expect([...policies].sort()).toEqual(['deferred', 'estimated', 'reported']);
  });

  it.each(cutFixtures.map((fixture) => [fixture.id, fixture] as const))(
    '%s through the proxy',
    async (_id, fixture) => {
      upstream.enqueue(cut(fixture));
      const registry = new Registry();
      const proxy = await proxyTo(upstream, registry);
      let received: Buffer;
      try {
        received = await readCutThroughProxy(proxy, fixture);
        await recorded(registry);
      } finally {
        await proxy.close();
      }
      expect(upstream.pending).toBe(0);
      // The client gets the bytes up to the cut as the proxy hands them out (bytesForClient), and nothing more.
      expect(received.length).toBeLessThanOrEqual(cutAt(fixture));
      expect(received.equals(bytesForClient(fixture).subarray(0, received.length))).toBe(true);
      expectCutRecord(fixture, await recordOf(registry));
    },
  );

  it.each(
    sdkFixtures.filter((fixture) => cutFixtures.includes(fixture)).map((fixture) => [fixture.id, fixture] as const),
  )('%s through the instrumented client', async (_id, fixture) => {
    upstream.enqueue(cut(fixture));
    const registry = new Registry();
    await callThroughSdk(fixture, upstream.url, registry);
    await recorded(registry);
    expect(upstream.pending).toBe(0);
    expectCutRecord(fixture, await recordOf(registry));
  });
});
