import { describe, expect, it } from 'vitest';
import type { Usage } from '../record.js';
import { PriceBook } from './price-book.js';

const AT = new Date('2026-06-01T12:00:00Z');

/** 10,000 input tokens (2,000 of them cached), 3,000 output (1,000 reasoning), at `serviceTier`. */
function usage(serviceTier?: string, more: Partial<Usage> = {}): Usage {
  return { input: 10_000, output: 3000, cachedInput: 2000, cacheWrite: 0, reasoning: 1000, serviceTier, ...more };
}

describe('PriceBook at OpenAI service tiers', () => {
  const book = new PriceBook({ now: () => AT });

  it('prices gpt-5 flex at half and priority at twice the standard price, by hand', () => {
    // Standard $1.25 / $0.125 cached / $10; flex $0.625 / $0.0625 / $5; priority $2.50 / $0.25 / $20 (per MTok).
    expect(book.cost('openai', 'gpt-5', usage())).toBeCloseTo((8000 * 1.25 + 2000 * 0.125 + 3000 * 10) / 1e6, 15);
    expect(book.cost('openai', 'gpt-5', usage('flex'))).toBeCloseTo(0.020125, 15);
    expect(book.cost('openai', 'gpt-5-2025-08-07', usage('priority'))).toBeCloseTo(0.0805, 15);
    expect(book.pricesTier('openai', 'gpt-5', 'flex')).toBe(true);
    // A host label (the proxy's upstream) is OpenAI too.
    expect(book.cost('api.openai.com', 'gpt-5', usage('flex'))).toBeCloseTo(0.020125, 15);
  });

  it('prices gpt-4o-mini priority from its undated entry ($0.25 / $0.125 / $1)', () => {
    const expected = (8000 * 0.25 + 2000 * 0.125 + 3000 * 1) / 1e6;
    expect(book.cost('openai', 'gpt-4o-mini-2024-07-18', usage('priority'))).toBeCloseTo(expected, 15);
  });

  it('treats default, auto and standard as the standard price', () => {
    const standard = book.cost('openai', 'gpt-5', usage());
    for (const tier of ['default', 'auto', 'standard']) {
      expect(book.cost('openai', 'gpt-5', usage(tier))).toBe(standard);
      expect(book.pricesTier('openai', 'gpt-5', tier)).toBe(true);
    }
  });

  it('charges a tier with no price of its own the standard price, and says so', () => {
    const cases: [string, string, string][] = [
      ['openai', 'gpt-4o', 'flex'],
      ['openai', 'gpt-5', 'scale'],
      ['openai', 'gpt-5.1', 'flex'],
      ['openai', 'gpt-5-nano', 'priority'],
      // Azure's deployments are not billed at OpenAI's tier prices.
      ['azure', 'gpt-5', 'priority'],
      ['anthropic', 'claude-sonnet-4-5', 'priority'],
    ];
    for (const [provider, model, tier] of cases) {
      expect(book.cost(provider, model, usage(tier)), `${provider} ${model} ${tier}`).toBe(
        book.cost(provider, model, usage()),
      );
      expect(book.pricesTier(provider, model, tier), `${provider} ${model} ${tier}`).toBe(false);
    }
    expect(book.pricesTier('openai', 'no-such-model', 'flex')).toBe(false);
  });

  it('keeps per-call tool charges at a tier: the tier changes token prices only', () => {
    const searches = { serverToolCalls: { web_search: 2 } };
    const standardSearches =
      (book.cost('openai', 'gpt-5', usage(undefined, searches)) ?? 0) - (book.cost('openai', 'gpt-5', usage()) ?? 0);
    const flexSearches =
      (book.cost('openai', 'gpt-5', usage('flex', searches)) ?? 0) - (book.cost('openai', 'gpt-5', usage('flex')) ?? 0);
    expect(standardSearches).toBeCloseTo(0.02, 12);
    expect(flexSearches).toBeCloseTo(standardSearches, 15);
  });

  it('holds a user price at every tier', () => {
    const own = new PriceBook({ overrides: { 'gpt-5': { input: 1, output: 2 } }, now: () => AT });
    expect(own.cost('openai', 'gpt-5', usage('flex'))).toBeCloseTo((10_000 * 1 + 3000 * 2) / 1e6, 15);
    expect(own.pricesTier('openai', 'gpt-5', 'flex')).toBe(true);
  });

  it('remembers a bounded number of odd tier names per model', () => {
    const standard = book.cost('openai', 'gpt-5', usage());
    for (let i = 0; i < 50; i++) expect(book.cost('openai', 'gpt-5', usage(`tier-${i}`))).toBe(standard);
    expect(book.cost('openai', 'gpt-5', usage('flex'))).toBeCloseTo(0.020125, 15);
  });
});
