import { describe, expect, it } from 'vitest';
import { OPENAI_TIER_PRICES, OPENAI_TIER_PRICES_SOURCE, openAiTierPrices } from './service-tier-prices.js';

// The price lines of each entry, as `read_file` returned them (BerriAI/litellm 00035b69f416be24e2e323c13198d9b7d2d1bdf9,
// model_prices_and_context_window.json, file id 54505769388, offsets 800000-896000): the table must say the same.
const READ_TEXT: Readonly<Record<string, string>> = withSameText(
  {
    'gpt-5': `
        "cache_read_input_token_cost": 1.25e-07,
        "cache_read_input_token_cost_flex": 6.25e-08,
        "cache_read_input_token_cost_priority": 2.5e-07,
        "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_flex": 6.25e-07,
        "input_cost_per_token_priority": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "output_cost_per_token_flex": 5e-06,
        "output_cost_per_token_priority": 2e-05,`,
    'gpt-5-mini': `
        "cache_read_input_token_cost": 2.5e-08,
        "cache_read_input_token_cost_flex": 1.25e-08,
        "cache_read_input_token_cost_priority": 4.5e-08,
        "input_cost_per_token": 2.5e-07,
        "input_cost_per_token_flex": 1.25e-07,
        "input_cost_per_token_priority": 4.5e-07,
        "output_cost_per_token": 2e-06,
        "output_cost_per_token_flex": 1e-06,
        "output_cost_per_token_priority": 3.6e-06,`,
    'gpt-5-nano-2025-08-07': `
        "cache_read_input_token_cost": 5e-09,
        "cache_read_input_token_cost_flex": 2.5e-09,
        "input_cost_per_token": 5e-08,
        "input_cost_per_token_flex": 2.5e-08,
        "output_cost_per_token": 4e-07,
        "output_cost_per_token_flex": 2e-07,`,
    'gpt-5.1-2025-11-13': `
        "cache_read_input_token_cost": 1.25e-07,
        "cache_read_input_token_cost_priority": 2.5e-07,
        "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_priority": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "output_cost_per_token_priority": 2e-05,`,
    'gpt-5-nano': `
        "cache_read_input_token_cost": 5e-09,
        "cache_read_input_token_cost_flex": 2.5e-09,
        "input_cost_per_token": 5e-08,
        "input_cost_per_token_flex": 2.5e-08,
        "input_cost_per_token_priority": 2.5e-06,
        "output_cost_per_token": 4e-07,
        "output_cost_per_token_flex": 2e-07,`,
    'gpt-5.2': `
        "cache_read_input_token_cost": 1.75e-07,
        "cache_read_input_token_cost_priority": 3.5e-07,
        "input_cost_per_token": 1.75e-06,
        "input_cost_per_token_priority": 3.5e-06,
        "output_cost_per_token": 1.4e-05,
        "output_cost_per_token_priority": 2.8e-05,`,
    'gpt-5.4-mini': `
        "cache_read_input_token_cost": 7.5e-08,
        "cache_read_input_token_cost_flex": 3.75e-08,
        "cache_read_input_token_cost_priority": 1.5e-07,
        "input_cost_per_token": 7.5e-07,
        "input_cost_per_token_flex": 3.75e-07,
        "input_cost_per_token_batches": 3.75e-07,
        "input_cost_per_token_priority": 1.5e-06,
        "output_cost_per_token": 4.5e-06,
        "output_cost_per_token_flex": 2.25e-06,
        "output_cost_per_token_batches": 2.25e-06,
        "output_cost_per_token_priority": 9e-06,`,
    'gpt-5.4-nano': `
        "cache_read_input_token_cost": 2e-08,
        "cache_read_input_token_cost_flex": 1e-08,
        "input_cost_per_token": 2e-07,
        "input_cost_per_token_flex": 1e-07,
        "input_cost_per_token_batches": 1e-07,
        "output_cost_per_token": 1.25e-06,
        "output_cost_per_token_flex": 6.25e-07,
        "output_cost_per_token_batches": 6.25e-07,`,
    'gpt-4o-mini': `
        "cache_read_input_token_cost": 7.5e-08,
        "cache_read_input_token_cost_priority": 1.25e-07,
        "input_cost_per_token": 1.5e-07,
        "input_cost_per_token_batches": 7.5e-08,
        "input_cost_per_token_priority": 2.5e-07,
        "output_cost_per_token": 6e-07,
        "output_cost_per_token_batches": 3e-07,
        "output_cost_per_token_priority": 1e-06,`,
  },
  // These ids' lines read the same as those of the id each names.
  { 'gpt-5-2025-08-07': 'gpt-5', 'gpt-5-mini-2025-08-07': 'gpt-5-mini', 'gpt-5.1': 'gpt-5.1-2025-11-13' },
);

/** `texts` plus, for each id of `sameAs`, the text of the id it names (the source repeats those lines). */
function withSameText(texts: Record<string, string>, sameAs: Record<string, string>): Record<string, string> {
  const all = { ...texts };
  for (const [id, sameAsId] of Object.entries(sameAs)) {
    const text = texts[sameAsId];
    if (text === undefined) throw new Error(`no read text for ${sameAsId}`);
    all[id] = text;
  }
  return all;
}

/** The `"key": number` lines of a read excerpt. */
function readPrices(text: string): Record<string, number> {
  const prices: Record<string, number> = {};
  for (const match of text.matchAll(/"([a-z_0-9]+)": ([0-9.e-]+),/g)) prices[match[1] ?? ''] = Number(match[2]);
  return prices;
}

/** A tier's three prices from the read text, only when all three are there (as the table takes them). */
function tierFromText(prices: Record<string, number>, tier: 'flex' | 'priority') {
  const input = prices[`input_cost_per_token_${tier}`];
  const cachedInput = prices[`cache_read_input_token_cost_${tier}`];
  const output = prices[`output_cost_per_token_${tier}`];
  return input === undefined || cachedInput === undefined || output === undefined
    ? undefined
    : { input, cachedInput, output };
}

describe('OpenAI service-tier prices', () => {
  it('name their source', () => {
    expect(OPENAI_TIER_PRICES_SOURCE).toEqual({
      repository: 'BerriAI/litellm',
      commit: '00035b69f416be24e2e323c13198d9b7d2d1bdf9',
      path: 'model_prices_and_context_window.json',
      license: 'MIT',
      readFileId: '54505769388',
    });
  });

  it('are, entry for entry and value for value, what the source text says', () => {
    expect(Object.keys(OPENAI_TIER_PRICES).sort()).toEqual(Object.keys(READ_TEXT).sort());
    for (const [model, text] of Object.entries(READ_TEXT)) {
      const prices = readPrices(text);
      expect(OPENAI_TIER_PRICES[model]?.flex, `${model} flex`).toEqual(tierFromText(prices, 'flex'));
      expect(OPENAI_TIER_PRICES[model]?.priority, `${model} priority`).toEqual(tierFromText(prices, 'priority'));
    }
    // Spot checks, by hand from the text above: flex is half the standard price, priority double (gpt-5).
    expect(OPENAI_TIER_PRICES['gpt-5']?.flex).toEqual({ input: 6.25e-7, cachedInput: 6.25e-8, output: 5e-6 });
    expect(OPENAI_TIER_PRICES['gpt-5']?.priority).toEqual({ input: 2.5e-6, cachedInput: 2.5e-7, output: 2e-5 });
    expect(OPENAI_TIER_PRICES['gpt-4o-mini']?.priority).toEqual({ input: 2.5e-7, cachedInput: 1.25e-7, output: 1e-6 });
    // gpt-5-nano lists a priority input price and no priority output price: no priority tier is taken.
    expect(OPENAI_TIER_PRICES['gpt-5-nano']?.priority).toBeUndefined();
  });

  it('are found by model id, a dated snapshot by its undated id, and only for flex and priority', () => {
    expect(openAiTierPrices('GPT-5', 'flex')?.output).toBe(5e-6);
    expect(openAiTierPrices('gpt-4o-mini-2024-07-18', 'priority')?.input).toBe(2.5e-7);
    expect(openAiTierPrices('gpt-5.1-2025-11-13', 'flex')).toBeUndefined();
    expect(openAiTierPrices('gpt-4o', 'priority')).toBeUndefined();
    expect(openAiTierPrices('gpt-5', 'scale')).toBeUndefined();
    expect(openAiTierPrices('constructor', 'flex')).toBeUndefined();
    expect(openAiTierPrices('toString-2025-01-01', 'flex')).toBeUndefined();
  });
});
