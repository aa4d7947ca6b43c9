import { calcPrice } from '@pydantic/genai-prices';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Usage } from '../record.js';
import { InvalidPriceError } from './model-price.js';
import { PriceBook } from './price-book.js';

// Wraps the real calcPrice so the tests can count how often PriceBook reaches into genai-prices.
vi.mock('@pydantic/genai-prices', async (importOriginal) => {
  const original = await importOriginal<typeof import('@pydantic/genai-prices')>();
  return { ...original, calcPrice: vi.fn(original.calcPrice) };
});
const calcPriceCalls = () => vi.mocked(calcPrice).mock.calls.length;

function usage(input: number, cachedInput: number, cacheWrite: number, output: number, reasoning: number): Usage {
  return { input, cachedInput, cacheWrite, output, reasoning };
}

const AT = new Date('2026-03-01T12:00:00Z');

beforeEach(() => {
  vi.mocked(calcPrice).mockClear();
});

// Per-million prices below are copied from @pydantic/genai-prices 0.1.8's bundled data (dist/index.js, the
// provider's `models[].prices`); the arithmetic is written out so that it does not depend on the code under test.
describe('PriceBook.cost with bundled prices', () => {
  const book = new PriceBook({ now: () => AT });

  it('prices OpenAI gpt-4o with cached input (openai gpt-4o: input 2.5, cache_read 1.25, output 10)', () => {
    const expected = ((1000 - 400) * 2.5 + 400 * 1.25 + 500 * 10) / 1e6;
    expect(book.cost('openai', 'gpt-4o', usage(1000, 400, 0, 500, 0))).toBeCloseTo(expected, 15);
    // A dated snapshot resolves to the same model.
    expect(book.cost('openai', 'gpt-4o-2024-08-06', usage(1000, 400, 0, 500, 0))).toBeCloseTo(expected, 15);
  });

  it('prices gpt-4o-mini (openai gpt-4o-mini: input 0.15, cache_read 0.075, output 0.6)', () => {
    const expected = (2000 * 0.15 + 300 * 0.6) / 1e6;
    expect(book.cost('openai', 'gpt-4o-mini', usage(2000, 0, 0, 300, 0))).toBeCloseTo(expected, 15);
  });

  it('charges reasoning as output for o3-mini and gpt-5 (o3-mini: 1.1 / 4.4; gpt-5: 1.25, cache_read 0.125, 10)', () => {
    // reasoning (1500) is part of output (2000), so it is not charged again
    expect(book.cost('openai', 'o3-mini', usage(500, 0, 0, 2000, 1500))).toBeCloseTo(
      (500 * 1.1 + 2000 * 4.4) / 1e6,
      15,
    );
    const gpt5 = ((3000 - 1000) * 1.25 + 1000 * 0.125 + 4000 * 10) / 1e6;
    expect(book.cost('openai', 'gpt-5-2025-08-07', usage(3000, 1000, 0, 4000, 3500))).toBeCloseTo(gpt5, 15);
  });

  it('prices claude-sonnet-4-5 with cache read and write, below and above the 200k tier', () => {
    // anthropic claude-sonnet-4-5: input {base 3, >200000: 6}, cache_write {3.75, 7.5}, cache_read {0.3, 0.6},
    // output {15, 22.5}; the tier is picked by total input tokens and applies to the whole request.
    const below = ((10_000 - 6000 - 2000) * 3 + 6000 * 0.3 + 2000 * 3.75 + 800 * 15) / 1e6;
    expect(book.cost('anthropic', 'claude-sonnet-4-5-20250929', usage(10_000, 6000, 2000, 800, 0))).toBeCloseTo(
      below,
      15,
    );
    const above = ((250_000 - 200_000 - 10_000) * 6 + 200_000 * 0.6 + 10_000 * 7.5 + 1000 * 22.5) / 1e6;
    expect(book.cost('anthropic', 'claude-sonnet-4-5-20250929', usage(250_000, 200_000, 10_000, 1000, 0))).toBeCloseTo(
      above,
      15,
    );
  });

  it('prices claude-3-5-haiku-latest (input 0.8, cache_write 1, cache_read 0.08, output 4)', () => {
    const expected = ((5000 - 1000 - 3000) * 0.8 + 1000 * 0.08 + 3000 * 1 + 200 * 4) / 1e6;
    expect(book.cost('anthropic', 'claude-3-5-haiku-latest', usage(5000, 1000, 3000, 200, 0))).toBeCloseTo(
      expected,
      15,
    );
  });

  it('prices gemini-2.5-flash (google: input 0.3, cache_read 0.03, output 2.5)', () => {
    const expected = ((4000 - 2000) * 0.3 + 2000 * 0.03 + 1000 * 2.5) / 1e6;
    expect(book.cost('google', 'gemini-2.5-flash', usage(4000, 2000, 0, 1000, 600))).toBeCloseTo(expected, 15);
  });

  it('maps hosts to providers (groq llama-3.3-70b-versatile: 0.59 / 0.79; perplexity sonar: 1 / 1 + 12 per 1000 requests)', () => {
    expect(book.cost('api.groq.com', 'llama-3.3-70b-versatile', usage(1000, 0, 0, 1000, 0))).toBeCloseTo(
      (1000 * 0.59 + 1000 * 0.79) / 1e6,
      15,
    );
    expect(book.cost('api.perplexity.ai', 'sonar', usage(1000, 0, 0, 1000, 0))).toBeCloseTo(
      (1000 * 1 + 1000 * 1) / 1e6 + 12 / 1000,
      15,
    );
    // openrouter openai/gpt-4o: input 2.5, output 10, no cache price (cached input is charged as input)
    expect(book.cost('openrouter.ai', 'openai/gpt-4o', usage(1000, 500, 0, 100, 0))).toBeCloseTo(
      (1000 * 2.5 + 100 * 10) / 1e6,
      15,
    );
  });

  it('prices azure from its genai-prices entry, which follows OpenAI (gpt-4o: 2.5, cache_read 1.25, 10)', () => {
    expect(book.cost('azure', 'gpt-4o', usage(1000, 0, 0, 100, 0))).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 15);
  });

  it('falls back to the model id when the provider label is unknown', () => {
    const gpt4o = (1000 * 2.5 + 100 * 10) / 1e6;
    expect(book.cost('my-upstream', 'gpt-4o', usage(1000, 0, 0, 100, 0))).toBeCloseTo(gpt4o, 15);
    expect(book.cost('my-upstream', 'claude-3-5-haiku-latest', usage(1000, 0, 0, 100, 0))).toBeCloseTo(
      (1000 * 0.8 + 100 * 4) / 1e6,
      15,
    );
    // A `provider/model` id names its provider.
    expect(book.cost('localhost:4000', 'openai/gpt-4o', usage(1000, 0, 0, 100, 0))).toBeCloseTo(gpt4o, 15);
  });

  it('returns undefined for a model it cannot price, rather than guessing', () => {
    expect(book.cost('openai', 'no-such-model', usage(1000, 0, 0, 100, 0))).toBeUndefined();
    expect(book.cost('my-upstream', 'no-such-model', usage(1000, 0, 0, 100, 0))).toBeUndefined();
    expect(book.cost('openai', '', usage(1000, 0, 0, 100, 0))).toBeUndefined();
    // A known provider that does not list the model: another provider's price would be a guess.
    expect(book.cost('openai', 'llama-3.3-70b-versatile', usage(1000, 0, 0, 100, 0))).toBeUndefined();
  });
});

describe('PriceBook overrides', () => {
  it('win over bundled prices; cached input and cache write default to the input price', () => {
    const book = new PriceBook({ overrides: { 'GPT-4o': { input: 1, output: 2 } } });
    expect(book.cost('openai', 'gpt-4o', usage(1000, 400, 100, 500, 0))).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 15);
  });

  it('apply to one provider when keyed provider/model, and win over a plain model key there', () => {
    const book = new PriceBook({
      overrides: {
        'gpt-4o': { input: 1, output: 2 },
        'azure/gpt-4o': { input: 5, output: 6, cachedInput: 0.5, cacheWrite: 7 },
      },
    });
    const u = usage(1000, 400, 100, 500, 0);
    expect(book.cost('azure', 'gpt-4o', u)).toBeCloseTo(
      ((1000 - 400 - 100) * 5 + 400 * 0.5 + 100 * 7 + 500 * 6) / 1e6,
      15,
    );
    expect(book.cost('openai', 'gpt-4o', u)).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 15);
  });

  it('price models genai-prices does not know, and nothing else when bundled is off', () => {
    const book = new PriceBook({ bundled: false, overrides: { 'my-llama': { input: 0.1, output: 0.2 } } });
    expect(book.cost('vllm', 'my-llama', usage(1000, 0, 0, 1000, 0))).toBeCloseTo((1000 * 0.1 + 1000 * 0.2) / 1e6, 15);
    expect(book.cost('openai', 'gpt-4o', usage(1000, 0, 0, 1000, 0))).toBeUndefined();
    expect(calcPriceCalls()).toBe(0);
  });

  it('set at run time take effect over an already cached price', () => {
    const book = new PriceBook();
    const u = usage(1000, 0, 0, 0, 0);
    expect(book.cost('openai', 'gpt-4o', u)).toBeCloseTo((1000 * 2.5) / 1e6, 15);
    book.setPrice('gpt-4o', { input: 3, output: 4 });
    expect(book.cost('openai', 'gpt-4o', u)).toBeCloseTo((1000 * 3) / 1e6, 15);
  });

  it('hold for each (provider, model) pair in a run of lookups that switches pair and back', () => {
    const book = new PriceBook({
      bundled: false,
      overrides: {
        'my-model': { input: 1, output: 0 },
        'vllm/my-model': { input: 2, output: 0 },
        other: { input: 3, output: 0 },
      },
    });
    const u = usage(1_000_000, 0, 0, 0, 0);
    const costs = [
      ['ollama', 'my-model'],
      ['ollama', 'my-model'],
      ['vllm', 'my-model'],
      ['vllm', 'other'],
      ['ollama', 'my-model'],
    ].map(([provider, model]) => book.cost(provider as string, model as string, u));
    expect(costs).toEqual([1, 1, 2, 3, 1]);
  });

  it('are validated with a typed error', () => {
    const bad: unknown[] = [
      { input: -1, output: 1 },
      { input: Number.NaN, output: 1 },
      { input: 1, output: Number.POSITIVE_INFINITY },
      { input: 1 },
      { input: '1', output: 1 },
      { input: 1, output: 1, cachedInput: -0.5 },
      null,
    ];
    for (const price of bad) {
      expect(() => new PriceBook({ overrides: { m: price as never } })).toThrow(InvalidPriceError);
      expect(() => new PriceBook().setPrice('m', price as never)).toThrow(InvalidPriceError);
    }
    expect(() => new PriceBook().setPrice(' ', { input: 1, output: 1 })).toThrow(InvalidPriceError);
    expect(() => new PriceBook().setPrice('gpt-4o', { input: -1, output: 1 })).toThrow(
      'llmeter: invalid price for "gpt-4o": input must be a finite number >= 0 (USD per million tokens), got -1',
    );
  });
});

describe('PriceBook caching', () => {
  it('looks a (provider, model) pair up once, unknown models included', () => {
    const book = new PriceBook({ now: () => AT });
    const u = usage(1000, 0, 0, 100, 0);
    book.cost('openai', 'gpt-4o', u);
    const afterFirst = calcPriceCalls();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) {
      book.cost('openai', 'gpt-4o', u);
    }
    expect(calcPriceCalls()).toBe(afterFirst);

    book.cost('my-upstream', 'no-such-model', u);
    const afterUnknown = calcPriceCalls();
    expect(afterUnknown).toBeGreaterThan(afterFirst);
    book.cost('my-upstream', 'no-such-model', u);
    expect(calcPriceCalls()).toBe(afterUnknown);
  });

  it('looks prices up again after an hour', () => {
    let now = AT.getTime();
    const book = new PriceBook({ now: () => new Date(now) });
    const u = usage(1000, 0, 0, 100, 0);
    book.cost('openai', 'gpt-4o', u);
    const calls = calcPriceCalls();
    now += 3_599_999;
    book.cost('openai', 'gpt-4o', u);
    expect(calcPriceCalls()).toBe(calls);
    now += 1;
    book.cost('openai', 'gpt-4o', u);
    expect(calcPriceCalls()).toBe(calls + 1);
  });

  it('switches exactly at a time-of-day price change (deepseek-chat: peak 00:30-16:30 UTC 0.27 / 1.1, else 0.135 / 0.55)', () => {
    let now = Date.parse('2026-03-01T16:29:59.999Z');
    const book = new PriceBook({ now: () => new Date(now) });
    const u = usage(1_000_000, 0, 0, 1_000_000, 0);
    expect(book.cost('deepseek', 'deepseek-chat', u)).toBeCloseTo(0.27 + 1.1, 12);
    now += 1;
    expect(book.cost('deepseek', 'deepseek-chat', u)).toBeCloseTo(0.135 + 0.55, 12);
  });

  it('stays bounded, dropping the pair resolved longest ago', () => {
    const book = new PriceBook({ now: () => AT });
    const u = usage(1, 0, 0, 1, 0);
    book.cost('openai', 'gpt-4o', u);
    for (let i = 0; i < 1000; i++) book.cost('openai', `unknown-${i}`, u);
    const calls = calcPriceCalls();
    book.cost('openai', 'unknown-999', u);
    expect(calcPriceCalls()).toBe(calls);
    book.cost('openai', 'gpt-4o', u);
    expect(calcPriceCalls()).toBe(calls + 1);
  });
});
