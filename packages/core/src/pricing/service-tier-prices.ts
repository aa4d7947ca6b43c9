/**
 * OpenAI's prices for the `flex` and `priority` service tiers, which `@pydantic/genai-prices` does not have (it
 * lists standard prices only). Copied, value for value, from LiteLLM's price map:
 *
 * - repository: BerriAI/litellm (MIT License)
 * - commit: 00035b69f416be24e2e323c13198d9b7d2d1bdf9
 * - path: model_prices_and_context_window.json
 * - read with the search index's `read_file` (file id 54505769388), keys `input_cost_per_token_<tier>`,
 *   `cache_read_input_token_cost_<tier>`, `output_cost_per_token_<tier>`
 *
 * Values are USD per token, as the source writes them. Only entries with all three prices of a tier are taken
 * (the source lists `gpt-5-nano` with a priority input price and no priority output price: a partial price
 * would be a guess, so that tier is left out). `service-tier-prices.test.ts` checks entries against the text read.
 */

/** One tier's prices of a model, USD per token. */
export interface TierTokenPrices {
  /** `input_cost_per_token_<tier>`: uncached input. */
  readonly input: number;
  /** `cache_read_input_token_cost_<tier>`: cached input. */
  readonly cachedInput: number;
  /** `output_cost_per_token_<tier>`: output, reasoning included. */
  readonly output: number;
}

/** A model's prices by tier (`flex`, `priority`). */
export type TierPrices = Readonly<Partial<Record<'flex' | 'priority', TierTokenPrices>>>;

/** Where {@link OPENAI_TIER_PRICES} comes from. */
export const OPENAI_TIER_PRICES_SOURCE = {
  repository: 'BerriAI/litellm',
  commit: '00035b69f416be24e2e323c13198d9b7d2d1bdf9',
  path: 'model_prices_and_context_window.json',
  license: 'MIT',
  readFileId: '54505769388',
} as const;

const GPT_5: TierPrices = {
  flex: { input: 6.25e-7, cachedInput: 6.25e-8, output: 5e-6 },
  priority: { input: 2.5e-6, cachedInput: 2.5e-7, output: 2e-5 },
};
const GPT_5_MINI: TierPrices = {
  flex: { input: 1.25e-7, cachedInput: 1.25e-8, output: 1e-6 },
  priority: { input: 4.5e-7, cachedInput: 4.5e-8, output: 3.6e-6 },
};
const GPT_5_NANO: TierPrices = {
  flex: { input: 2.5e-8, cachedInput: 2.5e-9, output: 2e-7 },
};
const GPT_5_1: TierPrices = {
  priority: { input: 2.5e-6, cachedInput: 2.5e-7, output: 2e-5 },
};

/**
 * OpenAI tier prices by model id, as the source keys them (a dated snapshot where the source lists one apart).
 * A model id not here whose id without its `-YYYY-MM-DD` date suffix is here takes that entry's prices.
 */
export const OPENAI_TIER_PRICES: Readonly<Record<string, TierPrices>> = {
  'gpt-5': GPT_5,
  'gpt-5-2025-08-07': GPT_5,
  'gpt-5-mini': GPT_5_MINI,
  'gpt-5-mini-2025-08-07': GPT_5_MINI,
  'gpt-5-nano': GPT_5_NANO,
  'gpt-5-nano-2025-08-07': GPT_5_NANO,
  'gpt-5.1': GPT_5_1,
  'gpt-5.1-2025-11-13': GPT_5_1,
  'gpt-5.2': { priority: { input: 3.5e-6, cachedInput: 3.5e-7, output: 2.8e-5 } },
  'gpt-5.4-mini': {
    flex: { input: 3.75e-7, cachedInput: 3.75e-8, output: 2.25e-6 },
    priority: { input: 1.5e-6, cachedInput: 1.5e-7, output: 9e-6 },
  },
  'gpt-5.4-nano': { flex: { input: 1e-7, cachedInput: 1e-8, output: 6.25e-7 } },
  'gpt-4o-mini': { priority: { input: 2.5e-7, cachedInput: 1.25e-7, output: 1e-6 } },
};

const DATE_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/**
 * The prices of `model` (an OpenAI model id, any case) at `tier`, or `undefined` when the source has none.
 *
 * @example
 * ```ts
 * openAiTierPrices('gpt-5-2025-08-07', 'flex'); // { input: 6.25e-7, cachedInput: 6.25e-8, output: 5e-6 }
 * openAiTierPrices('gpt-4o', 'flex'); // undefined
 * ```
 */
export function openAiTierPrices(model: string, tier: string): TierTokenPrices | undefined {
  if (tier !== 'flex' && tier !== 'priority') return undefined;
  const id = model.trim().toLowerCase();
  const undated = id.replace(DATE_SUFFIX, '');
  const key = Object.hasOwn(OPENAI_TIER_PRICES, id) ? id : undated;
  return Object.hasOwn(OPENAI_TIER_PRICES, key) ? OPENAI_TIER_PRICES[key]?.[tier] : undefined;
}
