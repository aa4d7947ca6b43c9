import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PriceBook } from '../pricing/price-book.js';
import { geminiWireFormat } from './gemini.js';
import { geminiUsage } from './gemini-usage.js';

const AT = new Date('2026-03-01T12:00:00Z');

// Per-million prices copied from @pydantic/genai-prices 0.1.8's bundled data (provider `google`):
// gemini-2.5-flash: input 0.30, cache_read 0.03, output 2.50.
// gemini-2.5-pro: input 1.25 / 2.50, cache_read 0.125 / 0.25, output 10 / 15, the second rate when the prompt is
// over 200k tokens. Neither has a reasoning price: thoughts are charged as output. The arithmetic is written out.
describe('Gemini usage priced for the gemini and vertex_ai providers', () => {
  const book = new PriceBook({ now: () => AT });

  it('prices a recorded gemini-2.5-flash reply with cached prompt tokens and thoughts', () => {
    const body: unknown = JSON.parse(
      readFileSync(new URL('./fixtures/gemini/generate-cached-thinking.json', import.meta.url), 'utf8'),
    );
    const { usage, responseModel } = geminiWireFormat.parseResponse('chat', body);
    if (usage === undefined || responseModel === undefined) throw new Error('the fixture reports usage');
    // 373 prompt (204 cached), 89 candidates + 167 thoughts.
    const expected = ((373 - 204) * 0.3 + 204 * 0.03 + (89 + 167) * 2.5) / 1e6;
    expect(expected).toBeCloseTo(0.00069682, 15);
    for (const provider of ['gemini', 'vertex_ai', 'google']) {
      expect(book.cost(provider, responseModel, usage)).toBeCloseTo(expected, 15);
    }
  });

  it('prices gemini-2.5-pro below and above the 200k-token prompt tier', () => {
    const small = geminiUsage({
      promptTokenCount: 1000,
      cachedContentTokenCount: 600,
      candidatesTokenCount: 200,
      thoughtsTokenCount: 300,
    });
    const large = geminiUsage({
      promptTokenCount: 250_000,
      cachedContentTokenCount: 100_000,
      candidatesTokenCount: 500,
      thoughtsTokenCount: 1500,
    });
    if (small === undefined || large === undefined) throw new Error('usage expected');
    const smallCost = (400 * 1.25 + 600 * 0.125 + 500 * 10) / 1e6;
    const largeCost = (150_000 * 2.5 + 100_000 * 0.25 + 2000 * 15) / 1e6;
    expect([smallCost, largeCost]).toEqual([0.005575, 0.43]);
    expect(book.cost('gemini', 'gemini-2.5-pro', small)).toBeCloseTo(smallCost, 15);
    expect(book.cost('vertex_ai', 'gemini-2.5-pro', large)).toBeCloseTo(largeCost, 15);
  });

  it('counts tool-use prompt tokens at the input price', () => {
    const withTools = geminiUsage({ promptTokenCount: 17, toolUsePromptTokenCount: 102, candidatesTokenCount: 241 });
    if (withTools === undefined) throw new Error('usage expected');
    expect(book.cost('gemini', 'gemini-2.5-flash', withTools)).toBeCloseTo(((17 + 102) * 0.3 + 241 * 2.5) / 1e6, 15);
  });
});
