import { runInNewContext } from 'node:vm';
import { type StreamUsageOption, wireFormats } from '@llmeter/core/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentChunkLane } from './content-chunk-lane.js';
import { piecesAt } from './cut-pieces.test-support.js';
import { UsageChunkFilter, withStreamUsageAsked } from './usage-injection.js';

// Properties of the usage filter over arbitrary streams: what the client gets is exactly what the upstream would
// have sent without `include_usage` (the `"usage":null` members cut, the usage chunk removed, nothing else changed),
// however the bytes are split, whatever the line endings, for events under and over the filter's limit; a stream
// without injected usage passes byte for byte; and the filter never holds more than its limit.

/** Above the usage chunk's size (which must be read whole to be removed), below many chat chunks'. */
const LIMIT = 128;

/** Text that tempts a naive filter: quotes, escapes, the member itself inside a string, non-ASCII. */
const content = fc
  .array(
    fc.constantFrom(
      'a',
      'Hé',
      '👋',
      '"',
      '\\',
      '"usage":null',
      ',"usage":null}',
      '{',
      '}',
      '\n',
      ' ',
      'z'.repeat(30),
      'w'.repeat(90),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));

/** One event of the stream as the client would get it without `include_usage`, and as the upstream sends it. */
interface StreamEvent {
  /** `data:` JSON of a chunk the provider sends anyway (the member goes into it with injection), or raw lines. */
  chunk?: string;
  lines?: string;
  /** Where `"usage":null` goes: OpenAI writes it last; first is valid too. */
  usageFirst: boolean;
}

const chatChunk = fc.oneof(
  content.map((text) => `{"id":"c","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}}}]}`),
  // Plain content chunks of one shape (what the content chunk lane reads as bytes), and look-alikes.
  fc
    .tuple(fc.constantFrom('a', 'Hé 👋', ' tok', 'x'.repeat(40)), fc.constantFrom('m1', 'm2'))
    .map(
      ([text, model]) =>
        `{"id":"c","model":"${model}","choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}`,
    ),
);
const event: fc.Arbitrary<StreamEvent> = fc.oneof(
  fc.record({ chunk: chatChunk, usageFirst: fc.boolean() }),
  fc.record({
    chunk: fc.constant('{"id":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}'),
    usageFirst: fc.boolean(),
  }),
  fc.record({
    lines: fc.constantFrom(': keep-alive', 'event: ping\ndata: {}', 'data: not json', 'id: 7\ndata: {"x":[1,2]}'),
    usageFirst: fc.constant(false),
  }),
);
/** The value of the usage chunk's `usage`: an object, or what a provider without usage may send. */
const usageValue = fc.constantFrom(
  '{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}',
  'null',
  '"n/a"',
  '0',
  '[]',
);
const eol = fc.constantFrom('\n', '\r\n', '\r');

const FINISH = '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';

function withUsageNull(json: string, first: boolean): string {
  return first ? `{"usage":null,${json.slice(1)}` : `${json.slice(0, -1)},"usage":null}`;
}

/** The stream as the upstream sends it with injection (`injected`) and as the client gets it without. */
function streams(events: StreamEvent[], usage: string, ends: string[]): { injected: string; direct: string } {
  let injected = '';
  let direct = '';
  const all: StreamEvent[] = [...events, { chunk: FINISH, usageFirst: false }];
  all.forEach((item, index) => {
    const end = ends[index % ends.length] ?? '\n';
    const frame = (lines: string) => `${lines.split('\n').join(end)}${end}${end}`;
    if (item.chunk !== undefined) {
      direct += frame(`data: ${item.chunk}`);
      injected += frame(`data: ${withUsageNull(item.chunk, item.usageFirst)}`);
    } else {
      direct += frame(item.lines ?? '');
      injected += frame(item.lines ?? '');
    }
  });
  const end = ends[0] ?? '\n';
  injected += `data: {"id":"c","choices":[],"usage":${usage}}${end}${end}`;
  injected += `data: [DONE]${end}${end}`;
  direct += `data: [DONE]${end}${end}`;
  return { injected, direct };
}

/** What the filter gave the client, and what its accumulator read (the same with the content chunk lane or not). */
function filtered(chunks: Buffer[], limit: number): { text: string; peak: number; read: unknown } {
  const results = [false, true].map((lane) => {
    const own = wireFormats.openai.createStreamAccumulator('chat');
    const accumulator = lane ? new ContentChunkLane(own) : own;
    const filter = new UsageChunkFilter(accumulator, limit);
    const out: Buffer[] = [];
    let peak = 0;
    // A copy of each chunk: the filter may edit the ones it is given in place.
    for (const chunk of chunks) {
      out.push(filter.push(Buffer.from(chunk)).bytes);
      peak = Math.max(peak, filter.buffered);
    }
    out.push(filter.end());
    const summary = accumulator.summary();
    const read = { ...summary, outputText: summary.outputText(), outputLength: summary.outputLength() };
    return { text: Buffer.concat(out).toString('utf8'), peak, read };
  });
  const [plain, laned] = results as [(typeof results)[0], (typeof results)[0]];
  expect(laned).toEqual(plain);
  return plain;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 });
const stream = fc.record({
  events: fc.array(event, { maxLength: 8 }),
  usage: usageValue,
  ends: fc.array(eol, { minLength: 1, maxLength: 3 }),
  cuts,
  limit: fc.constantFrom(LIMIT, 1024 * 1024),
});

describe('UsageChunkFilter properties', () => {
  it('the client gets the upstream’s stream minus exactly what include_usage added, however split', () => {
    fc.assert(
      fc.property(stream, ({ events, usage, ends, cuts: fractions, limit }) => {
        const { injected, direct } = streams(events, usage, ends);
        const result = filtered(piecesAt(Buffer.from(injected), fractions), limit);
        expect(result.text).toBe(direct);
        expect(result.peak).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  it('a stream without injected usage passes byte for byte', () => {
    fc.assert(
      fc.property(stream, ({ events, usage, ends, cuts: fractions, limit }) => {
        const { direct } = streams(events, usage, ends);
        const bytes = Buffer.from(direct);
        const result = filtered(piecesAt(bytes, fractions), limit);
        expect(result.text).toBe(direct);
        expect(result.peak).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 200 },
    );
  });

  it('one byte at a time, too', () => {
    fc.assert(
      fc.property(stream, ({ events, usage, ends, limit }) => {
        const { injected, direct } = streams(events, usage, ends);
        const bytes = Buffer.from(injected);
        expect(
          filtered(
            Array.from(bytes, (byte) => Buffer.from([byte])),
            limit,
          ).text,
        ).toBe(direct);
      }),
      { numRuns: 50 },
    );
  });
});

// The request edit: for any JSON object, however written (indentation, escapes, integers beyond 2^53, nesting),
// the edited body asks for usage exactly as `option.ask` would, and differs from the client's bytes in one place
// only: the inserted member, or a replaced `false` / `null` / short value.
const option = wireFormats.openai.streamUsageOption as StreamUsageOption;
const streamOptions = fc.constantFrom(
  undefined,
  {},
  { include_obfuscation: false },
  { include_usage: false, x: [1, { y: null }] },
  { include_usage: null },
  null,
  'x',
  1,
);
const requestBody = fc.record({
  members: fc.dictionary(
    fc.string({ maxLength: 8 }).filter((key) => key !== 'stream_options' && key !== '__proto__'),
    fc.jsonValue({ maxDepth: 4 }),
    { maxKeys: 6 },
  ),
  streamOptions,
  indent: fc.constantFrom(0, 1, 2, '\t'),
  raw: fc.constantFrom('', '"seed":9007199254740993,', '"u":"caf\\u00e9",', '"deep":[[[[[[[[]]]]]]]],'),
});

/**
 * `text` parsed by `JSON.parse` in a V8 context of its own. Node 24.21's V8 (13.6) parses `{"\"":1}` (the key
 * a quote) with the key `\` once it has parsed `{"\\":1}` (the key a backslash) in the same context: objects of
 * one shape share their maps, and its fast path takes the earlier escaped one-character key for the new one (the
 * reviver path too). The generated keys hit that; a fresh context has no earlier maps.
 */
function parsedAfresh(text: string): unknown {
  return runInNewContext('JSON.parse(text)', { text });
}

describe('withStreamUsageAsked properties', () => {
  it('asks for usage as option.ask does, every other byte as the client wrote it', () => {
    fc.assert(
      fc.property(requestBody, ({ members, streamOptions: options, indent, raw: rawMember }) => {
        const object = options === undefined ? members : { ...members, stream_options: options };
        const written = JSON.stringify(object, null, indent);
        const text = `{${rawMember}${written.slice(1)}`.replace(/,(\s*)}$/, '$1}');
        const input = Buffer.from(text);
        const body = parsedAfresh(text) as Record<string, unknown>;
        const output = withStreamUsageAsked(input, body, option);
        expect(parsedAfresh(output.toString())).toEqual(option.ask(body));
        let prefix = 0;
        while (prefix < input.length && input[prefix] === output[prefix]) prefix++;
        let suffix = 0;
        while (
          suffix < input.length - prefix &&
          input[input.length - 1 - suffix] === output[output.length - 1 - suffix]
        )
          suffix++;
        // At most a replaced value as short as `false` differs; everything else is shared, in order.
        expect(input.length - prefix - suffix).toBeLessThanOrEqual(5);
      }),
      { numRuns: 300 },
    );
  });
});
