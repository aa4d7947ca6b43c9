import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenAiStreamAccumulator } from './openai-stream.js';

// `pushRaw` reads most chat chunks without a parse (a chunk like the stream's first plain content chunk, other
// content): for any stream, what it tells and sums up must be exactly what `push` of each parsed chunk does.

const text = fc
  .array(fc.constantFrom('a', ' tok', 'é', '👋', '"', '\\', '\n', '\t', '', '"content":"a"', '\u2028'), {
    maxLength: 4,
  })
  .map((parts) => parts.join(''));

/** One chunk's raw data, written by hand so that spacing, key order and look-alike members vary. */
const plainChunk = fc
  .record({
    content: text,
    spaced: fc.boolean(),
    decoy: fc.boolean(),
    usageNull: fc.boolean(),
    model: fc.constantFrom('m1', 'm2', ''),
  })
  .map(({ content, spaced, decoy, usageNull, model }) => {
    const value = JSON.stringify(content);
    const decoyMember = decoy ? `"meta":{"content":${value}},` : '';
    const delta = spaced ? `{"content": ${value}}` : `{"content":${value}}`;
    const usage = usageNull ? ',"usage":null' : '';
    return `{"id":"c","model":"${model}",${decoyMember}"choices":[{"index":0,"delta":${delta},"finish_reason":null}]${usage}}`;
  });

const chunk = fc.oneof(
  { weight: 6, arbitrary: plainChunk },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '{"id":"c","model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
      '{"id":"c","model":"m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
      '{"id":"c","model":"m1","choices":[{"index":1,"delta":{"content":"x"},"finish_reason":null}]}',
      '{"id":"c","model":"m1","choices":[{"index":1,"delta":{},"finish_reason":"stop"}]}',
      '{"id":"c","model":"m1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}',
      '{"id":"c","model":"m1","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}',
      '{"id":"c","model":"m1","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"x_groq":{"usage":{"prompt_tokens":1,"completion_tokens":1}}}',
      '{"error":{"message":"x"}}',
      '[DONE]',
      'not json',
    ),
  },
);

function summed(accumulator: OpenAiStreamAccumulator): unknown {
  const summary = accumulator.summary();
  return { ...summary, outputText: summary.outputText(), outputLength: summary.outputLength() };
}

describe('OpenAiStreamAccumulator.pushRaw', () => {
  it('tells and sums up any chat stream exactly as push of each parsed chunk', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), (events) => {
        const raw = new OpenAiStreamAccumulator('chat');
        const parsed = new OpenAiStreamAccumulator('chat');
        for (const data of events) {
          let expected: string;
          if (data === '[DONE]') expected = parsed.pushRaw(data);
          else {
            let value: unknown;
            try {
              value = JSON.parse(data);
            } catch {
              value = undefined;
            }
            expected = parsed.push(value);
          }
          expect(raw.pushRaw(data)).toBe(expected);
        }
        expect(summed(raw)).toEqual(summed(parsed));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a choice read without a parse open until its own finish', () => {
    const content = (index: number, text: string): string =>
      `{"id":"c","model":"m1","choices":[{"index":${index},"delta":{"content":"${text}"},"finish_reason":null}]}`;
    const stop = (index: number): string =>
      `{"id":"c","model":"m1","choices":[{"index":${index},"delta":{},"finish_reason":"stop"}]}`;
    const accumulator = new OpenAiStreamAccumulator('chat');
    for (const data of [content(0, 'a'), content(1, 'b'), stop(0), content(0, 'c'), stop(1)]) {
      accumulator.pushRaw(data);
    }
    expect(accumulator.summary().finished).toBe(false);
    expect(accumulator.pushRaw(stop(0))).toBe('other');
    expect(accumulator.summary().finished).toBe(true);
    expect(accumulator.summary().outputText()).toBe('abc');
  });
});
