import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from './sse-parser.js';

// Properties of the incremental parser over arbitrary input: it never throws, the events do not depend on where
// the input was split (inside a CRLF, inside a UTF-8 character), they are those of a plain whole-text reading of
// the spec, and what it holds never exceeds its limit.

const LIMIT = 64;

/** Pieces that make SSE-like text likely (fields, line endings of every kind, a BOM, multi-byte characters). */
const token = fc.constantFrom(
  'data: ',
  'data:',
  'data',
  'event: ',
  'id: ',
  'retry: 1',
  ':',
  ' ',
  '\n',
  '\r',
  '\r\n',
  '\n\n',
  '\r\r',
  'x',
  'abc',
  '{"a":1}',
  'é',
  '👋',
  '\uFEFF',
  '\0',
  'y'.repeat(40),
);
const text = fc.array(token, { maxLength: 40 }).map((tokens) => tokens.join(''));
/** Bytes: SSE-like text, or anything at all (invalid UTF-8 included). */
const input = fc.oneof(
  text.map((value) => new TextEncoder().encode(value)),
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(text, fc.uint8Array({ maxLength: 20 }), text).map(([a, b, c]) => {
    const encoder = new TextEncoder();
    return Uint8Array.from([...encoder.encode(a), ...b, ...encoder.encode(c)]);
  }),
);
/** Cut points within the input, as fractions (so they fit any length). */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

function pieces(bytes: Uint8Array, fractions: number[]): Uint8Array[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  out.push(bytes.subarray(from));
  return out;
}

interface Parsed {
  events: SseEvent[];
  oversized: number;
  peak: number;
}

function parse(chunks: Uint8Array[], maxEventLength?: number): Parsed {
  const events: SseEvent[] = [];
  let oversized = 0;
  const parser = new SseParser((event) => events.push(event), {
    maxEventLength,
    onOversizedEvent: () => oversized++,
  });
  let peak = 0;
  for (const chunk of chunks) {
    parser.push(chunk);
    peak = Math.max(peak, parser.buffered);
  }
  parser.end();
  return { events, oversized, peak };
}

/** The spec read plainly on the whole text: lines, fields, events at blank lines; an unfinished event dropped. */
function reference(bytes: Uint8Array): SseEvent[] {
  let value = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  if (value.startsWith('\uFEFF')) value = value.slice(1);
  const lines = value.split(/\r\n|\r|\n/);
  lines.pop(); // the text after the last line ending is not a line
  const events: SseEvent[] = [];
  let data: string[] = [];
  let type = '';
  let id = '';
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0) {
        const event: SseEvent = { data: data.join('\n') };
        if (type !== '') event.event = type;
        if (id !== '') event.id = id;
        events.push(event);
      }
      data = [];
      type = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let fieldValue = colon === -1 ? '' : line.slice(colon + 1);
    if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
    if (field === 'data') data.push(fieldValue);
    else if (field === 'event') type = fieldValue;
    else if (field === 'id' && !fieldValue.includes('\0')) id = fieldValue;
  }
  return events;
}

describe('SseParser properties', () => {
  it('never throws, and gives the spec’s events however the bytes are split', () => {
    fc.assert(
      fc.property(input, cuts, (bytes, fractions) => {
        const whole = parse([bytes]);
        expect(whole.events).toEqual(reference(bytes));
        expect(parse(pieces(bytes, fractions)).events).toEqual(whole.events);
        expect(parse(Array.from(bytes, (byte) => Uint8Array.of(byte))).events).toEqual(whole.events);
      }),
      { numRuns: 300 },
    );
  });

  it('with a limit: the same events and drops however split, never holding more than the limit', () => {
    fc.assert(
      fc.property(input, cuts, (bytes, fractions) => {
        const whole = parse([bytes], LIMIT);
        const split = parse(pieces(bytes, fractions), LIMIT);
        const bytewise = parse(
          Array.from(bytes, (byte) => Uint8Array.of(byte)),
          LIMIT,
        );
        expect(split.events).toEqual(whole.events);
        expect(bytewise.events).toEqual(whole.events);
        expect(split.oversized).toBe(whole.oversized);
        expect(bytewise.oversized).toBe(whole.oversized);
        for (const run of [whole, split, bytewise]) expect(run.peak).toBeLessThanOrEqual(LIMIT);
        // What is dispatched is what the limit lets through: every event within it, and none dropped otherwise.
        for (const event of whole.events) expect(event.data.length).toBeLessThanOrEqual(LIMIT);
        if (whole.oversized === 0) expect(whole.events).toEqual(reference(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
