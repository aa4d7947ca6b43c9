import { calcPrice, type Provider, waitForUpdate } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import type { Usage } from '../record.js';
import { compileBundledPrice, compileModelPrice, costOf } from './compiled-price.js';
import { PriceBook } from './price-book.js';

function usage(
  input: number,
  cachedInput: number,
  cacheWrite: number,
  output: number,
  reasoning: number,
  more: Partial<Usage> = {},
): Usage {
  return { input, cachedInput, cacheWrite, output, reasoning, ...more };
}

/** genai-prices' usage for the same call: `input_tokens` is the total, reads, writes and audio included. */
function genaiUsage(u: Usage) {
  return {
    input_tokens: u.input,
    cache_read_tokens: u.cachedInput,
    cache_write_tokens: u.cacheWrite,
    cache_write_1h_tokens: u.cacheWrite1h ?? 0,
    input_audio_tokens: u.audioInput ?? 0,
    cache_audio_read_tokens: 0,
    output_tokens: u.output,
    output_reasoning_tokens: u.reasoning,
    output_audio_tokens: u.audioOutput ?? 0,
    web_searches: u.serverToolCalls?.web_search ?? 0,
    code_executions: u.serverToolCalls?.code_execution ?? 0,
  };
}

const USAGES: readonly Usage[] = [
  usage(1000, 300, 200, 500, 100),
  usage(150_000, 100_000, 20_000, 2000, 0),
  // Tier boundaries: exactly at a tier's start is still the lower tier; one token more is not.
  usage(200_000, 0, 0, 10, 0),
  usage(200_001, 50_000, 10_000, 3000, 2000),
  usage(250_000, 120_000, 30_000, 4000, 1000),
  usage(0, 0, 0, 700, 0),
  usage(128_001, 0, 0, 1, 0),
  usage(32_001, 16_000, 0, 100, 0),
  // 1-hour cache writes, audio in and out, server-side web searches and code runs.
  usage(60_000, 10_000, 30_000, 800, 0, { cacheWrite1h: 20_000, serverToolCalls: { web_search: 3 } }),
  usage(5000, 1000, 0, 2000, 0, { audioInput: 1500, audioOutput: 1200 }),
  usage(250_000, 0, 40_000, 900, 200, { cacheWrite1h: 40_000, serverToolCalls: { web_search: 1, code_execution: 2 } }),
];

const AT = new Date('2026-03-01T03:00:00Z');

describe('cached arithmetic equals genai-prices calcPrice', () => {
  it('for every model genai-prices bundles, tiered, per-request and reasoning prices included', async () => {
    const providers = (await waitForUpdate()) ?? [];
    let compared = 0;
    let tiered = 0;
    const beyondTokens = { cacheWrite1h: 0, audio: 0, webSearches: 0 };
    for (const provider of providers) {
      const book = new PriceBook({ now: () => AT });
      for (const model of provider.models) {
        for (const u of USAGES) {
          const mine = book.cost(provider.id, model.id, u);
          const theirs = tryCalc(genaiUsage(u), model.id, provider);
          if (theirs === undefined || theirs.priced === false) {
            expect(mine, `${provider.id}/${model.id}`).toBeUndefined();
            continue;
          }
          expect(mine, `${provider.id}/${model.id} ${JSON.stringify(u)}`).toBeDefined();
          expect(
            relativeError(mine ?? Number.NaN, theirs.total),
            `${provider.id}/${model.id} ${JSON.stringify(u)}`,
          ).toBeLessThan(1e-12);
          compared++;
          if (theirs.tiered) tiered++;
          if (theirs.price.cache_write_1h_mtok !== undefined && (u.cacheWrite1h ?? 0) > 0) beyondTokens.cacheWrite1h++;
          if (theirs.price.input_audio_mtok !== undefined && (u.audioInput ?? 0) > 0) beyondTokens.audio++;
          if (theirs.price.web_searches_kcount !== undefined && (u.serverToolCalls?.web_search ?? 0) > 0) {
            beyondTokens.webSearches++;
          }
        }
      }
    }
    // Guards against a vacuous pass: the bundled data has well over a thousand token-priced models.
    expect(compared).toBeGreaterThan(5000);
    expect(tiered).toBeGreaterThan(200);
    // ... and that the charges beyond plain tokens were compared on models that price them.
    expect(beyondTokens.cacheWrite1h).toBeGreaterThan(20);
    expect(beyondTokens.audio).toBeGreaterThan(10);
    expect(beyondTokens.webSearches).toBeGreaterThan(20);
  });

  it('for hand-picked tiered calls on claude-sonnet-4-5 and gemini-2.5-pro', () => {
    const cases: [string, string, Usage][] = [
      ['anthropic', 'claude-sonnet-4-5-20250929', usage(199_999, 150_000, 40_000, 10_000, 0)],
      ['anthropic', 'claude-sonnet-4-5-20250929', usage(200_001, 150_000, 40_000, 10_000, 0)],
      ['google', 'gemini-2.5-pro', usage(300_000, 100_000, 0, 5000, 4000)],
    ];
    for (const [provider, model, u] of cases) {
      const expected = calcPrice(genaiUsage(u), model, { providerId: provider, timestamp: AT })?.total_price;
      const actual = new PriceBook({ now: () => AT }).cost(provider, model, u);
      expect(expected).toBeDefined();
      expect(relativeError(actual ?? Number.NaN, expected ?? Number.NaN)).toBeLessThan(1e-12);
    }
  });
});

describe('charges beyond plain tokens, by hand', () => {
  const book = new PriceBook({ now: () => AT });

  it('prices 1-hour cache writes at 2x input and 5-minute ones at 1.25x (claude-sonnet-4-5: $3 input)', () => {
    // 10k written for 1 hour at $6, 4k for 5 minutes at $3.75, 1k plain input at $3, 100 output at $15.
    const u = usage(15_000, 0, 14_000, 100, 0, { cacheWrite1h: 10_000 });
    const expected = (10_000 * 6 + 4000 * 3.75 + 1000 * 3 + 100 * 15) / 1e6;
    expect(book.cost('anthropic', 'claude-sonnet-4-5', u)).toBeCloseTo(expected, 15);
  });

  it('prices audio tokens at the audio prices (gpt-audio: $32 / $64 audio, $2.50 / $10 text)', () => {
    const u = usage(1000, 0, 0, 500, 0, { audioInput: 400, audioOutput: 300 });
    const expected = (600 * 2.5 + 400 * 32 + 200 * 10 + 300 * 64) / 1e6;
    expect(book.cost('openai', 'gpt-audio', u)).toBeCloseTo(expected, 15);
  });

  it('prices Anthropic web searches at $10 per thousand', () => {
    const u = usage(1000, 0, 0, 100, 0, { serverToolCalls: { web_search: 2, web_fetch: 1 } });
    const expected = (1000 * 3 + 100 * 15) / 1e6 + (2 * 10) / 1e3;
    expect(book.cost('anthropic', 'claude-sonnet-4-5', u)).toBeCloseTo(expected, 15);
  });

  it('prices advisor sub-calls at the advisor model, not the caller', () => {
    const sub = usage(2000, 0, 0, 20, 0);
    const u = usage(1000, 0, 0, 100, 0, { subCalls: [{ model: 'claude-opus-4-1', usage: sub }] });
    const expected = (1000 * 3 + 100 * 15) / 1e6 + (2000 * 15 + 20 * 75) / 1e6;
    expect(book.cost('anthropic', 'claude-sonnet-4-5', u)).toBeCloseTo(expected, 15);
    expect(
      book.cost('anthropic', 'claude-sonnet-4-5', { ...u, subCalls: [{ model: 'no-such', usage: sub }] }),
    ).toBeUndefined();
  });
});

describe('costOf', () => {
  it('charges cached and cache-write tokens at the input price when they have none of their own', () => {
    const price = compileModelPrice({ input: 2, output: 8 });
    // (1000 input incl. 300 cached and 200 written, all at 2) + 500 output at 8
    expect(costOf(price, usage(1000, 300, 200, 500, 50))).toBeCloseTo((1000 * 2 + 500 * 8) / 1e6, 15);
  });

  it('leaves out a model priced only per audio hour rather than charging it 0', () => {
    expect(compileBundledPrice({ audio_hours: 3, input_text_messages_kcount: 4 })).toBeUndefined();
  });

  it('clamps inconsistent counts at zero instead of charging negative tokens', () => {
    const price = compileModelPrice({ input: 1, output: 1, cachedInput: 0.1 });
    expect(costOf(price, usage(100, 300, 0, 0, 0))).toBeCloseTo((300 * 0.1) / 1e6, 15);
  });
});

function relativeError(actual: number, expected: number): number {
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}

function tryCalc(
  u: ReturnType<typeof genaiUsage>,
  modelId: string,
  provider: Provider,
): { total: number; priced: boolean; tiered: boolean; price: Readonly<Record<string, unknown>> } | undefined {
  try {
    const result = calcPrice(u, modelId, { providerId: provider.id, timestamp: AT });
    if (result === null) return undefined;
    const price = result.model_price;
    return {
      total: result.total_price,
      priced: price.input_mtok !== undefined || price.output_mtok !== undefined,
      tiered: Object.values(price).some((value) => typeof value === 'object'),
      price,
    };
  } catch {
    return undefined;
  }
}
