import type { InFlightCall } from '@llmeter/core';
import { SseParser, type StreamAccumulator, wireFormats } from '@llmeter/core/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseObserver } from './call-observer.js';
import { ContentChunkLane } from './content-chunk-lane.js';
import { UsageChunkFilter } from './usage-injection.js';

const chunk = (text: string, extra = '') =>
  `{"id":"c1"${extra},"model":"gpt-4o","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]}`;
const FINISH = '{"id":"c1","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
const USAGE = '{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}';

/** What an accumulator read, in a form `toEqual` compares. */
function read(accumulator: StreamAccumulator): unknown {
  const summary = accumulator.summary();
  return { ...summary, outputText: summary.outputText(), outputLength: summary.outputLength() };
}

/** The lane, counting the events it took. */
function countingLane(): { lane: ContentChunkLane; taken: () => number } {
  const lane = new ContentChunkLane(wireFormats.openai.createStreamAccumulator('chat'));
  const take = lane.take.bind(lane);
  let taken = 0;
  lane.take = (bytes, start, lf) => {
    const at = take(bytes, start, lf);
    if (at !== -1) taken++;
    return at;
  };
  return { lane, taken: () => taken };
}

/** The plain reading: every event parsed and given to the accumulator. */
function plainRead(stream: Buffer): unknown {
  const accumulator = wireFormats.openai.createStreamAccumulator('chat');
  const parser = new SseParser((event) => accumulator.pushRaw(event.data, event.event));
  parser.push(stream);
  parser.end();
  return read(accumulator);
}

const call = { markFirstToken: () => {} } as unknown as InFlightCall;

async function observed(pieces: Buffer[], eventLength?: number): Promise<unknown> {
  const observer = new SseObserver(
    { format: wireFormats.openai, operation: 'chat', model: 'gpt-4o', requestBody: undefined, call },
    undefined,
    undefined,
    eventLength === undefined ? {} : { eventLength },
  );
  for (const piece of pieces) observer.take(piece, 0);
  const { stream } = await observer.finish('complete');
  const summary = stream?.summary;
  return summary && { ...summary, outputText: summary.outputText(), outputLength: summary.outputLength() };
}

const sse = (events: string[]) => Buffer.from(events.map((data) => `data: ${data}\n\n`).join(''));

describe('ContentChunkLane', () => {
  it('takes the chunks like the first plain content chunk as bytes; the summary is the accumulator’s own', async () => {
    const events = [chunk('Hel'), chunk('lo'), chunk(' wörld 👋'), chunk('!'), FINISH, USAGE, '[DONE]'];
    const stream = sse(events);
    const { lane, taken } = countingLane();
    const parser = new SseParser((event) => lane.pushRaw(event.data, event.event));
    let at = 0;
    for (let lf = stream.indexOf(10); lf !== -1; lf = stream.indexOf(10, at)) {
      if (lane.ready && lane.take(stream, at, lf) !== -1) {
        at = lf + 2;
        continue;
      }
      parser.push(stream.subarray(at, lf + 2));
      at = lf + 2;
    }
    expect(taken()).toBe(3);
    expect(read(lane)).toEqual(plainRead(stream));
    expect(lane.summary().outputText()).toBe('Hello wörld 👋!');
  });

  it('leaves to the parser what only looks like the template: escapes, other members, invalid UTF-8', async () => {
    const quoted = chunk('say "hi"');
    const otherModel = chunk('x').replace('gpt-4o', 'gpt-5');
    const stream = Buffer.concat([
      sse([chunk('a'), quoted, otherModel, chunk('b'), chunk('tab\there')]),
      // Invalid UTF-8 in the content (a lone continuation byte): read as U+FFFD, by the parser.
      Buffer.from(`data: ${chunk('c').replace('"c"', '"c\x80"')}\n\n`, 'latin1'),
      sse([chunk('d'), FINISH, '[DONE]']),
    ]);
    expect(await observed([stream])).toEqual(plainRead(stream));
    expect(await observed(Array.from(stream, (byte) => Buffer.from([byte])))).toEqual(plainRead(stream));
  });

  it('reads as the parser does an event of a read that differs from the template in any one byte', async () => {
    // Events after the first of one read are compared four bytes at a time: each byte of the template's prefix
    // and suffix (whole words and the last few bytes) is changed once.
    const line = `data: ${chunk('ab')}`;
    for (let at = 0; at < line.length; at++) {
      const changed = `${line.slice(0, at)}${line[at] === 'x' ? 'y' : 'x'}${line.slice(at + 1)}`;
      const stream = Buffer.from(`${line}\n\n${line}\n\n${changed}\n\n${line}\n\ndata: ${FINISH}\n\n`);
      expect(await observed([stream])).toEqual(plainRead(stream));
    }
  });

  it('takes an event only at an event boundary: a line that ends a chunk may open an event', async () => {
    const pieces = [`data: ${chunk('a')}\n\n`, 'event: error\n', `data: ${chunk('b')}\n\n`, `data: ${chunk('c')}\n`];
    const more = [`\ndata: ${chunk('d')}\n\n`, `data: ${chunk('e')}\n`, `data: ${chunk('f')}\n\n`];
    const all = [...pieces, ...more].map((piece) => Buffer.from(piece));
    const summary = (await observed(all)) as { failed: boolean; outputText: string };
    expect(summary).toEqual(plainRead(Buffer.concat(all)));
    expect(summary.failed).toBe(true);
    expect(summary.outputText).toBe('acd');
  });

  it('leaves events over the observer’s event limit to the parser, which skips them', async () => {
    const stream = sse([chunk('a'), chunk('b'.repeat(300)), chunk('c'), FINISH]);
    const summary = (await observed([stream], 250)) as { outputText: string };
    expect(summary.outputText).toBe('ac');
  });

  it('the usage filter forwards the chunks it takes with "usage":null cut, wherever the member is', () => {
    for (const usageFirst of [false, true]) {
      const member = (json: string) =>
        usageFirst ? `{"usage":null,${json.slice(1)}` : `${json.slice(0, -1)},"usage":null}`;
      const texts = ['one', ' two', ' three', ' four'];
      const injected = sse([...texts.map((text) => member(chunk(text))), member(FINISH), USAGE, '[DONE]']);
      const direct = sse([...texts.map((text) => chunk(text)), FINISH, '[DONE]']).toString();
      // The stream in one chunk, and one event a chunk (as upstreams write them).
      const events = injected.toString().split(/(?<=\n\n)/);
      for (const pieces of [[injected], events.map((event) => Buffer.from(event))]) {
        const { lane, taken } = countingLane();
        const filter = new UsageChunkFilter(lane);
        const out = [...pieces.map((piece) => filter.push(piece).bytes), filter.end()];
        expect(Buffer.concat(out).toString()).toBe(direct);
        expect(taken()).toBe(3);
        expect(lane.summary().outputText()).toBe('one two three four');
        expect(lane.summary().usage?.output).toBe(9);
      }
    }
  });
});

describe('ContentChunkLane properties', () => {
  const text = fc
    .array(fc.constantFrom('a', ' tok', 'é', '👋', '"', '\\', '\n', 'x'.repeat(20)), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(''));
  const event = fc.oneof(
    { weight: 6, arbitrary: text.map((t) => `data: ${chunk(t)}`) },
    text.map((t) => `data: ${chunk(t, ',"system_fingerprint":"fp"')}`),
    text.map((t) => `data:${chunk(t)}`),
    text.map((t) => `data: ${chunk(t).replace('gpt-4o', 'gpt-5')}`),
    fc.constantFrom(': ping', 'id: 4', `event: error\ndata: ${chunk('e')}`, `data: ${FINISH}`, 'data: [DONE]'),
  );
  const stream = fc.record({
    events: fc.array(event, { maxLength: 12 }),
    end: fc.constantFrom('\n\n', '\r\n\r\n', '\n\n\n'),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
  });

  it('the observer reads any stream, split anywhere, as the parser and accumulator alone do', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ events, end, cuts }) => {
        const bytes = Buffer.from(
          events.map((item) => item.replaceAll('\n', end.slice(0, end.length / 2)) + end).join(''),
        );
        const points = [...new Set(cuts.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
        const pieces: Buffer[] = [];
        let from = 0;
        for (const point of points) {
          pieces.push(bytes.subarray(from, point));
          from = point;
        }
        pieces.push(bytes.subarray(from));
        expect(await observed(pieces)).toEqual(plainRead(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
