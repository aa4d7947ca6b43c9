import { type StreamUsageOption, wireFormats } from '@llmeter/core/wire';
import { describe, expect, test } from 'vitest';
import { UsageChunkFilter, withoutTopLevelUsageNull, withStreamUsageAsked } from './usage-injection.js';

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

function run(pieces: Buffer[]) {
  const accumulator = wireFormats.openai.createStreamAccumulator('chat');
  const filter = new UsageChunkFilter(accumulator);
  const out: Buffer[] = [];
  let contentAt = -1;
  pieces.forEach((piece, index) => {
    const result = filter.push(piece);
    out.push(result.bytes);
    if (result.content && contentAt === -1) contentAt = index;
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
    expect(rest.content).toBe(true);
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
});

describe('withoutTopLevelUsageNull', () => {
  test.each([
    ['{"a":1,"usage":null}', '{"a":1}'],
    ['{"usage":null,"a":1}', '{"a":1}'],
    ['{"a":{"usage":null},"usage":null}', '{"a":{"usage":null}}'],
    ['{"a":"\\"usage\\":null","b":2}', '{"a":"\\"usage\\":null","b":2}'],
    ['{"a":["usage",{"usage":null}]}', '{"a":["usage",{"usage":null}]}'],
    ['{"usage":nullish}', '{"usage":nullish}'],
  ])('%s → %s', (input, output) => {
    expect(withoutTopLevelUsageNull(Buffer.from(`data: ${input}\n\n`)).toString()).toBe(`data: ${output}\n\n`);
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

  test('merges into stream_options the client sent', () => {
    const body = { model: 'm', stream: true, stream_options: { include_usage: false, include_obfuscation: false } };
    const sent = JSON.parse(withStreamUsageAsked(Buffer.from(JSON.stringify(body)), body, option).toString());
    expect(sent.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
  });
});
