import { readFileSync } from 'node:fs';
import type { InFlightCall } from '@llmeter/core';
import { SseParser, type StreamAccumulator, type WireFormat, wireFormats } from '@llmeter/core/wire';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SseObserver } from './call-observer.js';
import { ContentChunkLane } from './content-chunk-lane.js';
import { piecesAt } from './cut-pieces.test-support.js';
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
function plainRead(stream: Buffer, format: WireFormat = wireFormats.openai): unknown {
  const accumulator = format.createStreamAccumulator('chat');
  const parser = new SseParser((event) => accumulator.pushRaw(event.data, event.event));
  parser.push(stream);
  parser.end();
  return read(accumulator);
}

const call = { markFirstToken: () => {} } as unknown as InFlightCall;

async function observed(
  pieces: Buffer[],
  eventLength?: number,
  format: WireFormat = wireFormats.openai,
): Promise<unknown> {
  const observer = new SseObserver(
    { format, operation: 'chat', model: 'gpt-4o', requestBody: undefined, call },
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
        const pieces = piecesAt(bytes, cuts);
        expect(await observed(pieces)).toEqual(plainRead(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

// Anthropic Messages streams: two-line events (`event: …` then `data: …`), real ones padded with spaces before
// their final `}` (a varying run, event by event).
const anthropic = wireFormats.anthropic;
const anthropicEvent = (name: string, data: string) => `event: ${name}\ndata: ${data}\n\n`;
const textDelta = (text: string, { index = 0, pad = '', type = 'text_delta', member = 'text', extra = '' } = {}) =>
  anthropicEvent(
    'content_block_delta',
    `{"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${member}":${JSON.stringify(text)}${extra}}${pad}}`,
  );
const MESSAGE_START = anthropicEvent(
  'message_start',
  '{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":12,"cache_read_input_tokens":4,"output_tokens":1}}}',
);
const BLOCK_START = anthropicEvent(
  'content_block_start',
  '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
);
const PING = anthropicEvent('ping', '{"type": "ping"}');
const BLOCK_STOP = anthropicEvent('content_block_stop', '{"type":"content_block_stop","index":0 }');
const MESSAGE_DELTA = anthropicEvent(
  'message_delta',
  '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}',
);
const MESSAGE_STOP = anthropicEvent('message_stop', '{"type":"message_stop"}');
const anthropicStream = (events: string[]) => Buffer.from(events.join(''));

/** Counts the events lanes take (as the observer's lane is its own). */
function countTaken(): () => number {
  const take = vi.spyOn(ContentChunkLane.prototype, 'take');
  return () => take.mock.results.filter((result) => result.value !== -1).length;
}

describe('ContentChunkLane on Anthropic Messages streams', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes the text deltas like the first one, padded or not, as bytes; the summary is the accumulator’s own', async () => {
    const stream = anthropicStream([
      MESSAGE_START,
      BLOCK_START,
      PING,
      textDelta('Hel'),
      textDelta('lo', { pad: ' ' }),
      textDelta(' wörld 👋', { pad: '          ' }),
      textDelta('!'),
      BLOCK_STOP,
      MESSAGE_DELTA,
      MESSAGE_STOP,
    ]);
    const taken = countTaken();
    const summary = (await observed([stream], undefined, anthropic)) as {
      outputText: string;
      usage: { input: number; output: number };
      finished: boolean;
    };
    expect(taken()).toBe(3);
    expect(summary).toEqual(plainRead(stream, anthropic));
    expect(summary.outputText).toBe('Hello wörld 👋!');
    expect(summary.usage.output).toBe(9);
    expect(summary.finished).toBe(true);
  });

  it('leaves to the parser what only looks like the template: escapes, another index, type or event name', async () => {
    const invalidUtf8 = Buffer.from(textDelta('c').replace('"c"', '"c\x80"'), 'latin1');
    const pieces = [
      anthropicStream([MESSAGE_START, BLOCK_START, textDelta('a'), textDelta('b')]), // learned, taken (1)
      anthropicStream([textDelta('say "hi"'), textDelta('a\nb'), textDelta('é\\u00e9'), textDelta('tab\t')]),
      anthropicStream([textDelta('c'), textDelta('d', { pad: '  ' })]), // learned again, taken (2)
      anthropicStream([textDelta('e', { index: 1 }), textDelta('f', { index: 1 })]), // index 1: learned, taken (3)
      anthropicStream([textDelta('g', { type: 'thinking_delta', member: 'thinking' }), textDelta('h')]),
      invalidUtf8,
      anthropicStream([textDelta('i', { extra: ',"citations":null' }), textDelta('j')]),
      anthropicStream([textDelta('k').replace('content_block_delta\n', 'error\n'), PING, textDelta('l')]),
      anthropicStream([textDelta('m', { pad: '\t' }), textDelta('n'), textDelta('o'), MESSAGE_DELTA]), // (4)
      anthropicStream([MESSAGE_STOP]),
    ];
    const whole = Buffer.concat(pieces);
    const taken = countTaken();
    const summary = (await observed([whole], undefined, anthropic)) as { failed: boolean; outputText: string };
    expect(taken()).toBe(4);
    expect(summary).toEqual(plainRead(whole, anthropic));
    expect(summary.failed).toBe(true);
    expect(summary.outputText).toBe('absay "hi"a\nbé\\u00e9tab\tcdefghc\uFFFDijlmno');
    expect(await observed(pieces, undefined, anthropic)).toEqual(summary);
    expect(
      await observed(
        Array.from(whole, (byte) => Buffer.from([byte])),
        undefined,
        anthropic,
      ),
    ).toEqual(summary);
  });

  it('reads the event and data lines as the parser does: a space after the colon is optional', async () => {
    const noSpaces = [textDelta('p').replace('event: ', 'event:'), textDelta('q').replace('data: ', 'data:')];
    const stream = anthropicStream([MESSAGE_START, ...noSpaces, textDelta('r'), MESSAGE_STOP]);
    const taken = countTaken();
    const summary = (await observed([stream], undefined, anthropic)) as { outputText: string };
    // The template is learned from `p` (the parser reads its event line); `q` and `r` are taken.
    expect(taken()).toBe(2);
    expect(summary).toEqual(plainRead(stream, anthropic));
    expect(summary.outputText).toBe('pqr');
  });

  it('reads as the parser does an event that differs from the template in any one byte', async () => {
    const event = textDelta('ab', { pad: '   ' }).slice(0, -2);
    for (let at = 0; at < event.length; at++) {
      const changed = `${event.slice(0, at)}${event[at] === 'x' ? 'y' : 'x'}${event.slice(at + 1)}`;
      const stream = Buffer.from(`${event}\n\n${event}\n\n${changed}\n\n${event}\n\n${MESSAGE_STOP}`);
      expect(await observed([stream], undefined, anthropic)).toEqual(plainRead(stream, anthropic));
    }
  });

  it('reads a stream split at any byte as the parser does, and takes the deltas after the first of each read', async () => {
    const stream = anthropicStream([
      MESSAGE_START,
      BLOCK_START,
      textDelta('one'),
      textDelta(' two', { pad: '  ' }),
      textDelta(' three'),
      PING,
      textDelta(' four'),
      textDelta(' five', { pad: ' ' }),
      BLOCK_STOP,
      MESSAGE_DELTA,
      MESSAGE_STOP,
    ]);
    const expected = plainRead(stream, anthropic);
    expect((expected as { outputText: string }).outputText).toBe('one two three four five');
    for (let at = 0; at <= stream.length; at++) {
      const pieces = [stream.subarray(0, at), stream.subarray(at)];
      expect(await observed(pieces, undefined, anthropic)).toEqual(expected);
    }
    // One event a read, as upstreams write them: every delta after the first of a run is taken.
    const taken = countTaken();
    const events = stream.toString().split(/(?<=\n\n)/);
    expect(
      await observed(
        events.map((event) => Buffer.from(event)),
        undefined,
        anthropic,
      ),
    ).toEqual(expected);
    expect(taken()).toBe(3);
  });

  it('time to first token is the write of the first text delta, which the parser reads', async () => {
    const marks: number[] = [];
    const marking = { markFirstToken: (at: number) => marks.push(at) } as unknown as InFlightCall;
    const events = [MESSAGE_START, BLOCK_START, PING, textDelta('a'), textDelta('b'), textDelta('c'), MESSAGE_STOP];
    const observer = new SseObserver(
      { format: anthropic, operation: 'chat', model: 'claude', requestBody: undefined, call: marking },
      undefined,
    );
    events.forEach((event, at) => {
      observer.take(Buffer.from(event), 100 + at);
    });
    const { stream } = await observer.finish('complete');
    expect(marks).toEqual([103]);
    expect(stream?.summary.outputText()).toBe('abc');
  });

  it('leaves events over the observer’s event limit to the parser, which skips them', async () => {
    const stream = anthropicStream([textDelta('a'), textDelta('b'.repeat(300)), textDelta('c'), MESSAGE_STOP]);
    const summary = (await observed([stream], 250, anthropic)) as { outputText: string };
    expect(summary.outputText).toBe('ac');
  });
});

describe('ContentChunkLane on recorded streams', () => {
  // The corpus of real recorded responses (packages/core/src/wire/fixtures/corpus, see its PROVENANCE.md).
  const corpus = new URL('../../core/src/wire/fixtures/corpus/', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('corpus.json', corpus), 'utf8')) as {
    fixtures: { id: string; api: string; stream: boolean; status: number; files: { response: string } }[];
  };
  const formats: Record<string, WireFormat> = {
    'anthropic-messages': anthropic,
    'openai-chat-completions': wireFormats.openai,
  };
  /** Events the lane takes of each recording (read one event at a time); the others' deltas are not plain. */
  const TAKEN: Readonly<Record<string, number>> = {
    'openai/chat-stream-no-usage': 4,
    'anthropic/messages-stream-cache-write': 16,
    'anthropic/messages-stream-cache-read': 23,
    'anthropic/messages-stream-compaction-cache-read': 2,
    'anthropic/messages-stream-advisor': 2,
    'groq/chat-stream-x-groq-usage': 34,
    'vllm/chat-stream': 15,
    'azure-openai/chat-stream': 21,
  };
  const recorded = manifest.fixtures.filter((one) => one.stream && one.status === 200 && one.api in formats);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('covers every recorded Anthropic Messages and OpenAI chat stream', () => {
    expect(recorded.filter((one) => one.api === 'anthropic-messages').length).toBe(5);
    expect(recorded.filter((one) => one.api === 'openai-chat-completions').length).toBe(7);
  });

  it.each(recorded.map((one) => [one.id, one] as const))(
    '%s: read as the parser and accumulator alone do',
    async (_, one) => {
      const format = formats[one.api] as WireFormat;
      const stream = readFileSync(new URL(one.files.response, corpus));
      const expected = plainRead(stream, format);
      const events = stream
        .toString('latin1')
        .split(/(?<=\n\n)/)
        .map((event) => Buffer.from(event, 'latin1'));
      const taken = countTaken();
      expect(await observed(events, undefined, format)).toEqual(expected);
      // Plain deltas after the first of a run of alike ones (padding aside) are taken; those with escapes are not.
      expect(taken()).toBe(TAKEN[one.id] ?? 0);
      for (const size of [1, 7, 64, 1000]) {
        const pieces: Buffer[] = [];
        for (let at = 0; at < stream.length; at += size) pieces.push(stream.subarray(at, at + size));
        expect(await observed(pieces, undefined, format)).toEqual(expected);
      }
    },
  );
});

describe('ContentChunkLane properties on Anthropic streams', () => {
  const text = fc
    .array(fc.constantFrom('a', ' tok', 'é', '👋', '"', '\\', '\n', 'x'.repeat(20)), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(''));
  const pad = fc.constantFrom('', '', ' ', '      ', '\t');
  const event = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(text, pad).map(([t, p]) => textDelta(t, { pad: p })) },
    fc.tuple(text, fc.constantFrom(1, 2)).map(([t, index]) => textDelta(t, { index })),
    text.map((t) => textDelta(t, { type: 'thinking_delta', member: 'thinking' })),
    text.map((t) => textDelta(t, { extra: ',"citations":null' })),
    text.map((t) => textDelta(t).replace('content_block_delta\n', 'error\n')),
    text.map((t) => textDelta(t).replace('event: content_block_delta\n', '')),
    fc.constantFrom(MESSAGE_START, BLOCK_START, PING, BLOCK_STOP, MESSAGE_DELTA, ': keep-alive\n\n', 'id: 4\n\n'),
  );
  const stream = fc.record({
    events: fc.array(event, { maxLength: 14 }),
    crlf: fc.boolean(),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
  });

  it('the observer reads any stream, split anywhere, as the parser and accumulator alone do', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ events, crlf, cuts }) => {
        const joined = [...events, MESSAGE_STOP].join('');
        const bytes = Buffer.from(crlf ? joined.replaceAll('\n', '\r\n') : joined);
        const pieces = piecesAt(bytes, cuts);
        expect(await observed(pieces, undefined, anthropic)).toEqual(plainRead(bytes, anthropic));
        expect(await observed([bytes], undefined, anthropic)).toEqual(plainRead(bytes, anthropic));
      }),
      { numRuns: 300 },
    );
  });
});
