import { describe, expect, it } from 'vitest';
import { JsonArrayStreamParser } from './json-array-stream-parser.js';

function split(
  chunks: Iterable<Uint8Array | string>,
  maxElementLength?: number,
): { elements: string[]; oversized: number } {
  const elements: string[] = [];
  let oversized = 0;
  const parser = new JsonArrayStreamParser((text) => elements.push(text), {
    maxElementLength,
    onOversizedElement: () => oversized++,
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { elements, oversized };
}

// Gemini's framing: pretty-printed elements, `\n,\r\n` between them, `\n]` at the end.
const body = '[{\n  "a": "x"\n}\n,\r\n{\n  "b": ["}", "\\"]", {"c": "{"}],\n  "d": "é👋"\n}\n]';
const elements = ['{\n  "a": "x"\n}', '{\n  "b": ["}", "\\"]", {"c": "{"}],\n  "d": "é👋"\n}'];

describe('JsonArrayStreamParser', () => {
  it('hands out each element, brackets and escaped quotes inside strings included', () => {
    expect(split([body])).toEqual({ elements, oversized: 0 });
    for (const element of split([body]).elements) expect(() => JSON.parse(element)).not.toThrow();
  });

  it('hands out the same split at every byte, multi-byte characters included', () => {
    const bytes = new TextEncoder().encode(body);
    for (let at = 0; at <= bytes.length; at++) {
      const result = split([bytes.subarray(0, at), bytes.subarray(at)]);
      if (JSON.stringify(result.elements) !== JSON.stringify(elements))
        expect({ at, result }).toEqual({ at, elements });
    }
    const oneByOne = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(split(oneByOne).elements).toEqual(elements);
  });

  it('hands out an element as soon as it is complete, before the array ends', () => {
    const seen: string[] = [];
    const parser = new JsonArrayStreamParser((text) => seen.push(text));
    parser.push('[{"a":1}');
    expect(seen).toEqual(['{"a":1}']);
    parser.push(',{"b":2');
    expect(seen).toEqual(['{"a":1}']);
    parser.push('}');
    expect(seen).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('skips a BOM and leading whitespace, reads a lone object (an error reply) as one element', () => {
    expect(split(['\uFEFF \n[{"a":1}]']).elements).toEqual(['{"a":1}']);
    expect(split([new Uint8Array([0xef, 0xbb, 0xbf, 0x5b, 0x5d])]).elements).toEqual([]);
    expect(split(['{"error": {"code": 429}}', ' trailing']).elements).toEqual(['{"error": {"code": 429}}']);
  });

  it('hands out scalars and strings as elements, and ignores what follows the closing bracket', () => {
    expect(split(['[1, "two", true ,null]', '[{"x":1}]']).elements).toEqual(['1', '"two"', 'true', 'null']);
    expect(split(['[3.5']).elements).toEqual(['3.5']);
  });

  it('drops an element the stream cut, and an element over the limit', () => {
    expect(split(['[{"a":1},{"b":']).elements).toEqual(['{"a":1}']);
    const big = `[{"big":"${'x'.repeat(100)}"},{"small":1}]`;
    expect(split([big.slice(0, 50), big.slice(50)], 64)).toEqual({ elements: ['{"small":1}'], oversized: 1 });
  });
});
