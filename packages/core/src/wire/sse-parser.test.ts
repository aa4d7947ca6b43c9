import { describe, expect, it } from 'vitest';
import { SSE_EVENT_LENGTH_LIMIT, type SseEvent, SseParser } from './sse-parser.js';

function parse(chunks: (string | Uint8Array)[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('SseParser', () => {
  it('dispatches an event at a blank line, with its event name and id', () => {
    expect(parse(['event: delta\nid: 7\ndata: {"a":1}\n\n'])).toEqual([{ event: 'delta', id: '7', data: '{"a":1}' }]);
  });

  it('joins multi-line data with LF', () => {
    expect(parse(['data: one\ndata: two\ndata:\n\n'])).toEqual([{ data: 'one\ntwo\n' }]);
  });

  it('drops exactly one space after the colon', () => {
    expect(parse(['data:x\n\ndata:  x\n\ndata: \n\n'])).toEqual([{ data: 'x' }, { data: ' x' }, { data: '' }]);
  });

  it('treats a line without a colon as a field with an empty value', () => {
    expect(parse(['data\n\n'])).toEqual([{ data: '' }]);
    expect(parse(['event: a\nevent\ndata: x\n\n'])).toEqual([{ data: 'x' }]);
  });

  it('ignores comments, unknown fields and retry', () => {
    expect(parse([': keep-alive\n\n:\ndata: x\nfoo: bar\nretry: 3000\n: again\n\n'])).toEqual([{ data: 'x' }]);
  });

  it('does not dispatch an event without data, and forgets its event name', () => {
    expect(parse(['event: ping\n\ndata: x\n\n'])).toEqual([{ data: 'x' }]);
  });

  it('keeps the last event id for later events; an empty id clears it; an id with NUL is ignored', () => {
    expect(parse(['id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n'])).toEqual([
      { id: '1', data: 'a' },
      { id: '1', data: 'b' },
      { id: '1', data: 'c' },
      { data: 'd' },
    ]);
  });

  it('accepts LF, CRLF and lone CR line endings, mixed', () => {
    expect(parse(['data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r'])).toEqual([{ data: 'a\nb\nc' }, { data: 'd' }]);
  });

  it('treats a CR ending one chunk and an LF starting the next as one line ending', () => {
    // Read as two endings, the LF would be a blank line and dispatch `a` alone.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ data: 'a\nb' }]);
    expect(parse([bytes('data: a\r'), bytes('\ndata: b\r\n\r\n')])).toEqual([{ data: 'a\nb' }]);
  });

  it('treats a CR ending one chunk and anything else next as a line ending of its own', () => {
    expect(parse(['data: a\r', 'data: b\r', '\r'])).toEqual([{ data: 'a\nb' }]);
    expect(parse(['data: a\r', '', '\r'])).toEqual([{ data: 'a' }]);
  });

  it('skips one leading BOM, also when its bytes are split, and only one', () => {
    expect(parse(['\uFEFFdata: a\n\n'])).toEqual([{ data: 'a' }]);
    const withBom = bytes('\uFEFFdata: a\n\n');
    expect(parse([withBom.subarray(0, 1), withBom.subarray(1, 2), withBom.subarray(2)])).toEqual([{ data: 'a' }]);
    // A second BOM is part of the first line, making its field name unknown.
    expect(parse(['\uFEFF\uFEFFdata: a\n\ndata: b\n\n'])).toEqual([{ data: 'b' }]);
    expect(parse(['data: a\n\n\uFEFFdata: b\n\n'])).toEqual([{ data: 'a' }]);
  });

  it('decodes UTF-8 split at every byte, including inside characters', () => {
    const text = 'event: ü\ndata: héllo 👋 世界\n\n';
    const encoded = bytes(text);
    const expected = [{ event: 'ü', data: 'héllo 👋 世界' }];
    for (let at = 0; at <= encoded.length; at++) {
      expect(parse([encoded.subarray(0, at), encoded.subarray(at)])).toEqual(expected);
    }
    expect(parse(Array.from(encoded, (byte) => Uint8Array.of(byte)))).toEqual(expected);
  });

  it('turns invalid UTF-8 into U+FFFD', () => {
    expect(parse([Uint8Array.of(...bytes('data: '), 0xff, 0x0a, 0x0a)])).toEqual([{ data: '\uFFFD' }]);
  });

  it('discards an event without its closing blank line at the end, as the spec says', () => {
    expect(parse(['data: a\n\ndata: b\n'])).toEqual([{ data: 'a' }]);
    expect(parse(['data: a\n\ndata: b'])).toEqual([{ data: 'a' }]);
  });

  it('starts afresh after end()', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((event) => events.push(event));
    parser.push('id: 1\nevent: x\ndata: cut');
    parser.end();
    parser.push(bytes('\uFEFFdata: next\n\n'));
    parser.end();
    expect(events).toEqual([{ data: 'next' }]);
  });

  it('assembles a long line sent in many small chunks', () => {
    const payload = 'x'.repeat(200_000);
    const text = `data: ${payload}\n\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
    expect(parse(chunks)).toEqual([{ data: payload }]);
  });

  it('dispatches many events in one chunk in order', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `data: ${i}\r\n\r\n`).join('');
    expect(parse([text]).map((event) => event.data)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  });
});

describe('SseParser limits', () => {
  const limited = (chunks: string[], maxEventLength: number) => {
    const events: SseEvent[] = [];
    const oversized: number[] = [];
    const parser = new SseParser((event) => events.push(event), {
      maxEventLength,
      onOversizedEvent: () => oversized.push(events.length),
    });
    let peak = 0;
    for (const chunk of chunks) {
      parser.push(chunk);
      peak = Math.max(peak, parser.buffered);
    }
    parser.end();
    return { events, oversized, peak };
  };

  it('drops an event whose line grows past the limit, holds no more than the limit, and parses the next one', () => {
    const huge = `data: ${'x'.repeat(10_000)}`;
    const chunks = Array.from({ length: Math.ceil(huge.length / 64) }, (_, i) => huge.slice(i * 64, i * 64 + 64));
    chunks.push('\n\ndata: next\n\n');
    const { events, oversized, peak } = limited(['data: before\n\n', ...chunks], 1000);
    expect(events).toEqual([{ data: 'before' }, { data: 'next' }]);
    expect(oversized).toEqual([1]);
    expect(peak).toBeLessThanOrEqual(1000);
  });

  it('drops an event whose data lines add up past the limit (no blank line for a long time)', () => {
    const lines = Array.from({ length: 100 }, () => `data: ${'y'.repeat(50)}\n`);
    const { events, oversized, peak } = limited([...lines, '\n', 'event: e\ndata: after\n\n'], 1000);
    expect(events).toEqual([{ event: 'e', data: 'after' }]);
    expect(oversized).toEqual([0]);
    expect(peak).toBeLessThanOrEqual(1000);
  });

  it('keeps an event exactly at the limit, with every line ending', () => {
    // `a\nbb` is 4 characters of data; the line being read counts too.
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `data: a${eol}data: bb${eol}${eol}`;
      expect(limited([text], 'data: bb'.length + 2).events).toEqual([{ data: 'a\nbb' }]);
    }
  });

  it('takes a line over the limit in one chunk as one oversized event, whatever the line endings after it', () => {
    const { events, oversized } = limited([`data: ${'z'.repeat(5000)}\r\r\ndata: ok\r\n\r\n`], 100);
    expect(events).toEqual([{ data: 'ok' }]);
    expect(oversized).toEqual([0]);
  });

  it('defaults to 8 MiB per event', () => {
    expect(SSE_EVENT_LENGTH_LIMIT).toBe(8 * 1024 * 1024);
  });

  it('holds at most the limit for a 100 MB line without a line ending', () => {
    const parser = new SseParser(() => {});
    const piece = new Uint8Array(64 * 1024).fill(0x78);
    parser.push('data: ');
    let peak = 0;
    for (let sent = 0; sent < 100 * 1024 * 1024; sent += piece.length) {
      parser.push(piece);
      peak = Math.max(peak, parser.buffered);
    }
    expect(peak).toBeLessThanOrEqual(SSE_EVENT_LENGTH_LIMIT);
  });
});
