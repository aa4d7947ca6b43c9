import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageNullCutter, withoutTopLevelUsageNull } from './usage-null-cutter.js';

// The whole-event cut (which reads the usual one-line `data: {…}` event in a fast loop) must cut exactly what the
// streaming cutter cuts, byte for byte, for any event: valid JSON, the member anywhere and at any depth, inside
// strings, spaced or compact, and bytes that are not JSON at all.

/** Pieces that tempt a scanner: the member itself, its comma, nesting, strings, escapes, line ends, non-ASCII. */
const piece = fc.constantFrom(
  '"usage":null',
  ',"usage":null',
  '"usage":null }',
  '"usage":null,',
  '"usage": null',
  ', "usage":null',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\"',
  '\\\\',
  '\\',
  '\t',
  ' ',
  '\n',
  '\r',
  '\r\n',
  'data: ',
  'data:',
  'event: x',
  '"a":1',
  '"é👋"',
  'null',
  'x',
);

/** One event's bytes: a `data:` line with a JSON-ish object, or any mix of the pieces. */
const event = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('data: ', 'data:', 'data:  ', ''),
      fc.array(fc.tuple(fc.json({ maxDepth: 2 }), fc.integer({ min: 0, max: 4 })), { maxLength: 5 }),
      fc.constantFrom('\n\n', '\r\n\r\n', '\n', ''),
    )
    .map(([prefix, members, end]) => {
      const parts = members.map(([value, usage]) =>
        usage === 0 ? '"usage":null' : usage === 1 ? '"usage": null' : usage === 2 ? '"usage":null ' : `"k":${value}`,
      );
      return `${prefix}{${parts.join(',')}}${end}`;
    }),
  fc.array(piece, { maxLength: 12 }).map((pieces) => `data: {${pieces.join('')}`),
  fc.array(piece, { maxLength: 24 }).map((pieces) => pieces.join('')),
);

function streamed(bytes: Buffer): Buffer {
  const cutter = new UsageNullCutter();
  return Buffer.concat([cutter.push(bytes), cutter.end()]);
}

describe('withoutTopLevelUsageNull', () => {
  it('cuts exactly what the streaming cutter cuts, for any event', () => {
    fc.assert(
      fc.property(event, (text) => {
        const bytes = Buffer.from(text);
        expect(withoutTopLevelUsageNull(bytes).toString('latin1')).toBe(streamed(bytes).toString('latin1'));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['an escape before a line end', 'data: {"a":"\\\ndata: ","usage":null}\n\n'],
    ['a string across data lines', 'data: {"a":"x\ndata: y","usage":null}\n\n'],
    ['a CR in a string', 'data: {"a":"x\ry","usage":null}\n\n'],
    ['a tab before the member', 'data: {\t"usage":null,"a":1}\n\n'],
    ['the member last, spaced', 'data: {"a":1,"usage":null }\n\n'],
  ])('cuts %s as the streaming cutter does', (_, text) => {
    const bytes = Buffer.from(text);
    expect(withoutTopLevelUsageNull(bytes).toString('latin1')).toBe(streamed(bytes).toString('latin1'));
  });
});
