import { describe, expect, it } from 'vitest';
import { NdjsonParser } from './ndjson-parser.js';

function lines(chunks: (string | Uint8Array)[], maxLineLength?: number): { lines: string[]; oversized: number } {
  const seen: string[] = [];
  let oversized = 0;
  const parser = new NdjsonParser((line) => seen.push(line), {
    maxLineLength,
    onOversizedLine: () => {
      oversized++;
    },
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { lines: seen, oversized };
}

describe('NdjsonParser', () => {
  it('hands out each line as its newline arrives, blank lines and \\r skipped', () => {
    const seen: string[] = [];
    const parser = new NdjsonParser((line) => seen.push(line));
    parser.push('{"a":1}\r\n\n{"b"');
    expect(seen).toEqual(['{"a":1}']);
    parser.push(':2}\n');
    expect(seen).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('reads a last line without a newline at the end', () => {
    expect(lines(['{"a":1}\n{"done":true}']).lines).toEqual(['{"a":1}', '{"done":true}']);
  });

  it('joins a multi-byte character split across chunks', () => {
    const bytes = new TextEncoder().encode('{"t":"é€"}\n');
    const split = [bytes.subarray(0, 7), bytes.subarray(7, 9), bytes.subarray(9)];
    expect(lines(split).lines).toEqual(['{"t":"é€"}']);
  });

  it('drops a line over the limit, and only that one', () => {
    const result = lines(['{"a":1}\n', `{"x":"${'y'.repeat(50)}`, `${'y'.repeat(50)}"}\n{"b":2}\n`], 40);
    expect(result).toEqual({ lines: ['{"a":1}', '{"b":2}'], oversized: 1 });
  });
});
