import { type StreamUsageOption, wireFormats } from '@llmeter/core/wire';
import { describe, expect, test } from 'vitest';
import {
  USAGE_FILTER_EVENT_BYTES_LIMIT,
  UsageChunkFilter,
  withoutTopLevelUsageNull,
  withStreamUsageAsked,
} from './usage-injection.js';
import { UsageNullCutter } from './usage-null-cutter.js';

const option = wireFormats.openai.streamUsageOption as StreamUsageOption;

const chunk = (content: string, usage?: unknown) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o',
    choices: usage === undefined || usage === null ? [{ index: 0, delta: { content } }] : [],
    ...(usage === undefined ? {} : { usage }),
  });
const usage = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 };

/** What OpenAI sends with include_usage, and what it sends without. */
function streams(eol: string): { upstream: string; expected: string } {
  const frame = (data: string) => `data: ${data}${eol}${eol}`;
  return {
    upstream: [frame(chunk('Hel', null)), frame(chunk('lo', null)), frame(chunk('', usage)), frame('[DONE]')].join(''),
    expected: [frame(chunk('Hel')), frame(chunk('lo')), frame('[DONE]')].join(''),
  };
}

function run(pieces: Buffer[], maxEventBytes?: number) {
  const accumulator = wireFormats.openai.createStreamAccumulator('chat');
  const filter = new UsageChunkFilter(accumulator, maxEventBytes);
  const out: Buffer[] = [];
  let contentAt = -1;
  pieces.forEach((piece, index) => {
    const result = filter.push(piece);
    out.push(result.bytes);
    // As the proxy does once it wrote the bytes: the stream's first event may have gone out unread, and what came
    // after it waited.
    const later = filter.readLater();
    out.push(later.bytes);
    if ((result.content || later.content) && contentAt === -1) contentAt = index;
  });
  out.push(filter.end());
  return { text: Buffer.concat(out).toString(), summary: accumulator.summary(), contentAt };
}

describe('UsageChunkFilter', () => {
  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s: split at every byte boundary, the client gets the stream without usage; usage is read', (_name, eol) => {
    const { upstream, expected } = streams(eol);
    const bytes = Buffer.from(upstream);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { text, summary } = run([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(text).toBe(expected);
      expect(summary.usage).toMatchObject({ input: 11, output: 2 });
      expect(summary.finished).toBe(true);
      // The first event, forwarded before it was read when a chunk ends with it, is read, and in order.
      expect(summary.outputText()).toBe('Hello');
    }
  });

  test('one byte at a time', () => {
    const { upstream, expected } = streams('\n');
    const bytes = Buffer.from(upstream);
    const { text, contentAt } = run([...bytes].map((byte) => Buffer.from([byte])));
    expect(text).toBe(expected);
    // The first content event completes at its closing blank line, not before.
    expect(contentAt).toBe(upstream.indexOf('\n\n') + 1);
  });

  test('each event is released as soon as it is complete', () => {
    const filter = new UsageChunkFilter(wireFormats.openai.createStreamAccumulator('chat'));
    const first = `data: ${chunk('Hi', null)}\n\n`;
    expect(filter.push(Buffer.from(first.slice(0, 20))).bytes.length).toBe(0);
    const rest = filter.push(Buffer.from(`${first.slice(20)}data: {"partial`));
    expect(rest.bytes.toString()).toBe(`data: ${chunk('Hi')}\n\n`);
    // The stream's first event went out before it was read: the filter tells its content once asked.
    expect(rest.content).toBe(false);
    expect(filter.readLater().content).toBe(true);
    expect(filter.readLater().content).toBe(false);
  });

  test.each([
    ['a second usage member', '{"usage":null,"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}'],
    [
      'a usage member spelled with an escape',
      '{"usage":null,"choices":[],"\\u0075sage":{"prompt_tokens":5,"completion_tokens":0}}',
    ],
  ])('a first event whose usage is not only its null member is read before it is forwarded: %s', (_name, data) => {
    // JSON.parse reads the last member: this is the usage chunk, dropped, never forwarded unread with its cut.
    const accumulator = wireFormats.openai.createStreamAccumulator('chat');
    const filter = new UsageChunkFilter(accumulator);
    const pushed = filter.push(Buffer.from(`data: ${data}\n\n`));
    expect(pushed.bytes.length).toBe(0);
    expect(filter.readLater()).toMatchObject({ content: false, bytes: Buffer.alloc(0) });
    expect(accumulator.summary().usage).toMatchObject({ input: 5 });
  });

  test('only the first event goes out unread, and only when its chunk ends with it; what follows waits for it', () => {
    const accumulator = wireFormats.openai.createStreamAccumulator('chat');
    const filter = new UsageChunkFilter(accumulator);
    const first = `data: ${chunk('Hel', null)}\n\n`;
    const second = `data: ${chunk('lo', null)}\n\n`;
    expect(filter.push(Buffer.from(first))).toMatchObject({ bytes: Buffer.from(`data: ${chunk('Hel')}\n\n`) });
    expect(accumulator.summary().outputText()).toBe('');
    // The next chunk (in the same turn) waits: nothing is read before the first bytes left.
    expect(filter.push(Buffer.from(second))).toMatchObject({ bytes: Buffer.alloc(0), content: false });
    expect(filter.buffered).toBe(second.length);
    expect(accumulator.summary().outputText()).toBe('');
    // Once they left: the first event is read, then what waited is filtered, in order.
    const later = filter.readLater();
    expect(later.bytes.toString()).toBe(`data: ${chunk('lo')}\n\n`);
    expect(later.content).toBe(true);
    expect(accumulator.summary().outputText()).toBe('Hello');
    expect(filter.buffered).toBe(0);
    // From then on every chunk is filtered as it comes.
    expect(filter.push(Buffer.from(second)).content).toBe(true);
    // Two events in one chunk: the first is read before the second is looked at.
    const both = new UsageChunkFilter(wireFormats.openai.createStreamAccumulator('chat'));
    expect(both.push(Buffer.from(first + second))).toMatchObject({ content: true });
    expect(both.readLater().content).toBe(false);
  });

  test('what waits for the first event is bounded, and the end filters what still waited', () => {
    const first = `data: ${chunk('Hel', null)}\n\n`;
    const second = `data: ${chunk('lo', null)}\n\n`;
    // Past the bound (here the event limit) the first event is read and everything is filtered at once.
    const bounded = new UsageChunkFilter(wireFormats.openai.createStreamAccumulator('chat'), second.length * 2);
    bounded.push(Buffer.from(first));
    expect(bounded.push(Buffer.from(second)).bytes.length).toBe(0);
    expect(bounded.push(Buffer.from(second)).bytes.length).toBe(0);
    const caughtUp = bounded.push(Buffer.from(second));
    expect(caughtUp.bytes.toString()).toBe(`data: ${chunk('lo')}\n\n`.repeat(3));
    expect(bounded.buffered).toBe(0);
    expect(bounded.readLater()).toMatchObject({ bytes: Buffer.alloc(0), content: true });
    // A stream that ends before the proxy read: `end` gives what waited, `readLater` tells it held content.
    const accumulator = wireFormats.openai.createStreamAccumulator('chat');
    const ended = new UsageChunkFilter(accumulator);
    ended.push(Buffer.from(`data: ${chunk('', null)}\n\n`));
    ended.push(Buffer.from(`${second}data: ${chunk('', usage)}\n\ndata: [DONE]\n\n`));
    expect(ended.end().toString()).toBe(`data: ${chunk('lo')}\n\ndata: [DONE]\n\n`);
    expect(ended.readLater().content).toBe(true);
    expect(accumulator.summary().usage).toMatchObject({ input: 11, output: 2 });
  });

  test('events that are not JSON pass untouched, and an unfinished last event is forwarded as it came', () => {
    const upstream = ': keep-alive\n\nevent: ping\ndata: not json\n\ndata: {"usage":null';
    const { text } = run([Buffer.from(upstream)]);
    expect(text).toBe(upstream);
  });

  test('multi-byte characters split between chunks survive', () => {
    const { upstream, expected } = streams('\n');
    const withEmoji = upstream.replace('Hel', 'H€🙂l');
    const bytes = Buffer.from(withEmoji);
    const at = bytes.indexOf(Buffer.from('🙂')) + 2;
    const { text } = run([bytes.subarray(0, at), bytes.subarray(at)]);
    expect(text).toBe(expected.replace('Hel', 'H€🙂l'));
  });

  // With include_usage, OpenAI ends with a chunk of empty `choices` and a `usage` member. A provider with no usage
  // to report may set it to null or to something that is not usage: the chunk is still the one llmeter added.
  test.each([
    ['null', 'null'],
    ['a string', '"n/a"'],
    ['a number', '0'],
    ['an array', '[]'],
    ['an object', '{"prompt_tokens":3,"completion_tokens":1}'],
  ])('a final chunk whose usage is %s is removed; the provider’s own empty-choices chunk is kept', (_name, value) => {
    const frame = (data: string) => `data: ${data}\n\n`;
    // Azure's first chunk: empty choices, prompt filter results; with include_usage it carries "usage":null too.
    const azureFirst = '{"id":"","choices":[],"prompt_filter_results":[{"prompt_index":0}],"usage":null}';
    const finish = '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}';
    const upstream = [
      frame(azureFirst),
      frame(chunk('Hi', null)),
      frame(finish),
      frame(`{"id":"c","choices":[],"usage":${value}}`),
      frame('[DONE]'),
    ].join('');
    const expected = [
      frame('{"id":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}'),
      frame(chunk('Hi')),
      frame('{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'),
      frame('[DONE]'),
    ].join('');
    const bytes = Buffer.from(upstream);
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      expect(run([bytes.subarray(0, cut), bytes.subarray(cut)]).text).toBe(expected);
    }
  });

  test('an event over the limit is forwarded as its bytes arrive, without "usage":null, and not measured', () => {
    const accumulator = wireFormats.openai.createStreamAccumulator('chat');
    const filter = new UsageChunkFilter(accumulator, 1000);
    const big = `data: ${chunk('x'.repeat(5000), null)}\n\n`;
    const out: string[] = [];
    for (let at = 0; at < big.length; at += 100) {
      const piece = filter.push(Buffer.from(big.slice(at, at + 100)));
      out.push(piece.bytes.toString());
      // Past the limit every piece goes out as it arrives (but the few bytes that may be `"usage":null`).
      if (at > 1000 && at + 200 < big.length) expect(piece.bytes.length).toBe(100);
      expect(filter.buffered).toBeLessThanOrEqual(1000);
    }
    const small = `data: ${chunk('y', null)}\n\n`;
    out.push(filter.push(Buffer.from(small)).bytes.toString(), filter.end().toString());
    expect(out.join('')).toBe(`data: ${chunk('x'.repeat(5000))}\n\ndata: ${chunk('y')}\n\n`);
    expect(filter.unmeasuredEvents).toBe(1);
    expect(accumulator.summary().outputText()).toBe('y');
  });

  test('a stream without event boundaries reaches the client as it comes, holding at most the limit', () => {
    const filter = new UsageChunkFilter(wireFormats.openai.createStreamAccumulator('chat'));
    const piece = Buffer.alloc(64 * 1024, 'x');
    let forwarded = filter.push(Buffer.from('data: ')).bytes.length;
    let peak = 0;
    for (let sent = 0; sent < 16 * 1024 * 1024; sent += piece.length) {
      forwarded += filter.push(piece).bytes.length;
      peak = Math.max(peak, filter.buffered);
    }
    expect(peak).toBeLessThanOrEqual(USAGE_FILTER_EVENT_BYTES_LIMIT);
    expect(forwarded).toBe(6 + 16 * 1024 * 1024);
    // Data lines that never end in a blank line are one growing event too.
    const lines = new UsageChunkFilter(wireFormats.openai.createStreamAccumulator('chat'));
    const line = Buffer.from(`data: ${'y'.repeat(1000)}\n`);
    let linesForwarded = 0;
    for (let i = 0; i < 4096; i++) linesForwarded += lines.push(line).bytes.length;
    expect(linesForwarded).toBeGreaterThan(4096 * line.length - USAGE_FILTER_EVENT_BYTES_LIMIT - 1);
    expect(lines.buffered).toBeLessThanOrEqual(USAGE_FILTER_EVENT_BYTES_LIMIT);
  });
});

describe('withoutTopLevelUsageNull', () => {
  test.each([
    ['{"a":1,"usage":null}', '{"a":1}'],
    ['{"usage":null,"a":1}', '{"a":1}'],
    ['{"a":{"usage":null},"usage":null}', '{"a":{"usage":null}}'],
    ['{"a":"\\"usage\\":null","b":2}', '{"a":"\\"usage\\":null","b":2}'],
    ['{"a":["usage",{"usage":null}]}', '{"a":["usage",{"usage":null}]}'],
    ['{"usage":nullish}', '{"usage":nullish}'],
    ['{"usage":null}', '{}'],
    ['{"a":"x\\\\","usage":null,"b":1}', '{"a":"x\\\\","b":1}'],
    ['{"a":1,"usage":null }', '{"a":1 }'],
    ['["usage",null]', '["usage",null]'],
    ['"usage":null', '"usage":null'],
  ])('%s → %s', (input, output) => {
    expect(withoutTopLevelUsageNull(Buffer.from(`data: ${input}\n\n`)).toString()).toBe(`data: ${output}\n\n`);
  });

  test('only data lines are JSON: an id or event line is left alone', () => {
    const event = 'id: {"usage":null}\nevent: {,"usage":null}\ndata:{"a":1,"usage":null}\n\n';
    expect(withoutTopLevelUsageNull(Buffer.from(event)).toString()).toBe(
      'id: {"usage":null}\nevent: {,"usage":null}\ndata:{"a":1}\n\n',
    );
  });

  test('streamed through a cutter one byte at a time, the result is the same', () => {
    const event = Buffer.from('data: {"a":"\\"usage\\":null","usage":null,"b":[{"usage":null}]}\n\n');
    const cutter = new UsageNullCutter();
    const out = [...event].map((byte) => cutter.push(Buffer.from([byte])));
    out.push(cutter.end());
    expect(Buffer.concat(out).toString()).toBe('data: {"a":"\\"usage\\":null","b":[{"usage":null}]}\n\n');
  });
});

describe('withStreamUsageAsked', () => {
  test('inserts the option as the first member, every other byte kept', () => {
    const raw = Buffer.from('  {"model":"gpt-4o","stream":true,"seed":12345678901234567890}');
    const body = JSON.parse(raw.toString()) as Record<string, unknown>;
    expect(withStreamUsageAsked(raw, body, option).toString()).toBe(
      '  {"stream_options":{"include_usage":true},"model":"gpt-4o","stream":true,"seed":12345678901234567890}',
    );
  });

  test('an empty object takes the member without a trailing comma', () => {
    expect(withStreamUsageAsked(Buffer.from('{ }'), {}, option).toString()).toBe(
      '{"stream_options":{"include_usage":true} }',
    );
  });

  const edited = (text: string) => {
    const raw = Buffer.from(text);
    return withStreamUsageAsked(raw, JSON.parse(text) as Record<string, unknown>, option).toString();
  };

  test('edits the stream_options the client sent in its bytes: big integers and escapes stay as written', () => {
    const text =
      '{"model":"gpt-4o", "seed": 9007199254740993, "name":"caf\\u00e9", "stream":true, "stream_options": {"include_obfuscation":false}, "t":1.0e0}';
    expect(edited(text)).toBe(text.replace('"stream_options": {', '"stream_options": {"include_usage":true,'));
  });

  test.each([
    ['false', '{"stream_options":{"include_usage":false,"x":1}}', '{"stream_options":{"include_usage":true,"x":1}}'],
    ['null', '{"stream_options":{ "include_usage" : null }}', '{"stream_options":{ "include_usage" : true }}'],
    ['empty', '{"stream_options":{}}', '{"stream_options":{"include_usage":true}}'],
    ['empty with space', '{"stream_options":{ } }', '{"stream_options":{"include_usage":true } }'],
    ['null options', '{"a":1,"stream_options":null}', '{"a":1,"stream_options":{"include_usage":true}}'],
    ['a string', '{"stream_options":"x","b":2}', '{"stream_options":{"include_usage":true},"b":2}'],
    [
      'a repeated key (the last one counts)',
      '{"stream_options":{"include_usage":true},"stream_options":{"include_usage":false}}',
      '{"stream_options":{"include_usage":true},"stream_options":{"include_usage":true}}',
    ],
    [
      'an escaped key',
      '{"stream\\u005foptions":{"x":"}\\""}}',
      '{"stream\\u005foptions":{"include_usage":true,"x":"}\\""}}',
    ],
    [
      'no stream_options',
      '\n{ "a" : [1, {"stream_options":{}}] }',
      '\n{"stream_options":{"include_usage":true}, "a" : [1, {"stream_options":{}}] }',
    ],
  ])('stream_options %s', (_name, input, output) => {
    expect(edited(input)).toBe(output);
  });

  test('a body nested 10,000 levels deep is edited without recursion', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const text = `{"model":"gpt-4o","stream":true,"stream_options":{"x":${deep}},"seed":9007199254740993}`;
    expect(edited(text)).toBe(text.replace('"stream_options":{', '"stream_options":{"include_usage":true,'));
  });

  test('merges into stream_options the client sent', () => {
    const body = { model: 'm', stream: true, stream_options: { include_usage: false, include_obfuscation: false } };
    const sent = JSON.parse(withStreamUsageAsked(Buffer.from(JSON.stringify(body)), body, option).toString());
    expect(sent.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
  });
});
