import { type CompiledPrice, compileBundledPrice } from './compiled-price.js';
import { openAiTierPrices } from './service-tier-prices.js';

/** Service tier names that mean the standard price: OpenAI's `default` / `auto`, Anthropic's `standard`, Groq's `on_demand`. */
const STANDARD_TIERS: ReadonlySet<string> = new Set(['default', 'auto', 'standard', 'on_demand']);

/** Whether a provider's `service_tier` value is billed at the standard price. */
export function standardTier(tier: string): boolean {
  return STANDARD_TIERS.has(tier);
}

/** A bundled (genai-prices) price as a {@link PriceBook} found it: what a tier price is built from. */
export interface BundledEntry {
  /** genai-prices' model price (`input_mtok`, …). */
  readonly price: Readonly<Record<string, unknown>>;
  /** genai-prices' provider id (`openai`, `azure`, …). */
  readonly providerId: string;
  /** The model ids to look a tier price up by: the one asked for, then genai-prices' own. */
  readonly modelIds: readonly string[];
}

/** genai-prices price keys that a service tier does not change: per-call charges of server-side tools. */
const PER_CALL_KEYS = ['web_searches_kcount', 'code_executions_kcount', 'requests_kcount'] as const;

/**
 * The price of a model at a non-standard service tier, or `undefined` when none is known (the call is then
 * charged the standard price, and counted in `*_unpriced_tier_calls_total`).
 *
 * Known: OpenAI's `flex` and `priority` token prices ({@link openAiTierPrices}), for models whose standard price
 * is flat (a price tiered by context length has no tier source here); per-call tool charges stay as they are.
 * Azure's deployments are not priced by OpenAI's tiers.
 */
export function tierPrice(bundled: BundledEntry, tier: string): CompiledPrice | undefined {
  if (bundled.providerId !== 'openai') return undefined;
  for (const model of bundled.modelIds) {
    const prices = openAiTierPrices(model, tier);
    if (prices === undefined) continue;
    const standard = compileBundledPrice(bundled.price);
    if (standard === undefined || standard.tiered) return undefined;
    const price: Record<string, unknown> = {
      input_mtok: prices.input * 1e6,
      cache_read_mtok: prices.cachedInput * 1e6,
      output_mtok: prices.output * 1e6,
    };
    for (const key of PER_CALL_KEYS) if (bundled.price[key] !== undefined) price[key] = bundled.price[key];
    return compileBundledPrice(price);
  }
  return undefined;
}
