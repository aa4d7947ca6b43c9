import { calcPrice, type PriceCalculationResult } from '@pydantic/genai-prices';
import type { Usage } from '../record.js';
import { type CompiledPrice, compileBundledPrice, compileModelPrice, costOf } from './compiled-price.js';
import { type ModelPrice, type PriceOverrides, validatePrice } from './model-price.js';
import { nextPriceChange } from './price-schedule.js';
import { genaiProviderId } from './provider-mapping.js';
import { type BundledEntry, standardTier, tierPrice } from './service-tier.js';

/** Options of {@link PriceBook}. */
export interface PriceBookOptions {
  /** Prices that win over the bundled ones; see {@link PriceOverrides}. */
  overrides?: PriceOverrides;
  /** Use the price data bundled with `@pydantic/genai-prices` (offline, no network). Default `true`. */
  bundled?: boolean;
  /** The clock that selects time-dependent prices. Default: the system clock. */
  now?: () => Date;
}

/** How long a bundled price is trusted before it is looked up again (data can be updated at run time). */
const REFRESH_MS = 3_600_000;
/** Distinct (provider, model) pairs remembered; model names can come from clients, so this must be bounded. */
const MAX_ENTRIES = 1000;
/** Distinct non-standard tier names remembered per model: OpenAI has three, Anthropic two. */
const MAX_TIERS = 8;
const NO_USAGE = { input_tokens: 0, output_tokens: 0 };

interface Entry {
  readonly price: CompiledPrice | undefined;
  /**
   * The price at each non-standard service tier seen so far (`undefined`: the tier has no price of its own and
   * is charged at {@link Entry.price}); `undefined` for a user's price, which holds at every tier.
   */
  readonly tiers: Map<string, CompiledPrice | undefined> | undefined;
  /** The bundled price as genai-prices gave it, and its provider id: what a tier price is built from. */
  readonly bundled?: BundledEntry | undefined;
  /** Milliseconds since the epoch; the entry is looked up again from then on. */
  readonly expiresAt: number;
}

/**
 * Turns a call's token usage into USD.
 *
 * A (provider, model) pair is looked up in genai-prices once and its price kept (for an hour at most, and never
 * past a scheduled price change), so `cost` is a map lookup plus arithmetic. Unknown models are remembered as
 * unknown too.
 */
export class PriceBook {
  readonly #overrides = new Map<string, ModelPrice>();
  readonly #bundled: boolean;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  // The pair looked up last, and its entry: calls come in runs of one model, and a hit skips building and hashing
  // the map's key (measured: 0.2-1 µs of a call's recording).
  #lastProvider = '';
  #lastModel = '';
  #lastEntry: Entry | undefined;

  /** @throws {InvalidPriceError} when an override is not a valid price. */
  constructor(options: PriceBookOptions = {}) {
    this.#bundled = options.bundled ?? true;
    const now = options.now;
    this.#clock = now === undefined ? Date.now : () => now().getTime();
    for (const [model, price] of Object.entries(options.overrides ?? {})) this.#addOverride(model, price);
  }

  /**
   * USD for a call's usage, its {@link Usage.subCalls} at their own models' prices included; `undefined` when a
   * model has no known price (never guessed).
   *
   * `provider` is llmeter's provider label (`openai`, `azure`, `api.groq.com`, an upstream's name, …); when it
   * maps to no known provider, the model id alone selects the price. Dated model ids
   * (`claude-sonnet-4-5-20250929`) and aliases (`claude-3-5-haiku-latest`) resolve through genai-prices' rules.
   */
  cost(provider: string, model: string, usage: Usage): number | undefined {
    const own = this.#costOne(provider, model, usage);
    if (own === undefined || usage.subCalls === undefined) return own;
    // Sub-inferences (Anthropic's advisor) are billed at their own model's price; a call with any part of
    // unknown price has an unknown cost rather than a partial one.
    let total = own;
    for (const sub of usage.subCalls) {
      const cost = this.#costOne(provider, sub.model, sub.usage);
      if (cost === undefined) return undefined;
      total += cost;
    }
    return total;
  }

  #costOne(provider: string, model: string, usage: Usage): number | undefined {
    const entry = this.#entry(provider, model);
    if (entry.price === undefined) return undefined;
    const tier = usage.serviceTier;
    if (tier === undefined || standardTier(tier)) return costOf(entry.price, usage);
    return costOf(this.#tierPrice(entry, tier) ?? entry.price, usage);
  }

  /**
   * Whether a call of `model` served at service tier `tier` is priced at that tier's own price: a standard tier
   * always is, a user's price holds at every tier, and a bundled price has `flex` / `priority` prices for the
   * OpenAI models `OPENAI_TIER_PRICES` lists. False otherwise (such a call is charged the standard price) and for
   * a model with no known price at all.
   *
   * @example
   * ```ts
   * const book = new PriceBook();
   * book.pricesTier('openai', 'gpt-5', 'flex'); // true: gpt-5 has flex prices
   * book.pricesTier('openai', 'gpt-4o', 'flex'); // false: charged the standard price
   * ```
   */
  pricesTier(provider: string, model: string, tier: string): boolean {
    if (standardTier(tier)) return true;
    const entry = this.#entry(provider, model);
    if (entry.price === undefined) return false;
    return entry.tiers === undefined || this.#tierPrice(entry, tier) !== undefined;
  }

  #entry(provider: string, model: string): Entry {
    const now = this.#clock();
    const last = this.#lastEntry;
    if (last !== undefined && model === this.#lastModel && provider === this.#lastProvider && now < last.expiresAt) {
      return last;
    }
    const key = `${provider}\n${model}`;
    let entry = this.#entries.get(key);
    if (entry === undefined || now >= entry.expiresAt) entry = this.#remember(key, this.#resolve(provider, model, now));
    this.#lastProvider = provider;
    this.#lastModel = model;
    this.#lastEntry = entry;
    return entry;
  }

  #tierPrice(entry: Entry, tier: string): CompiledPrice | undefined {
    const tiers = entry.tiers;
    if (tiers === undefined || entry.bundled === undefined) return undefined;
    if (tiers.has(tier)) return tiers.get(tier);
    const price = tierPrice(entry.bundled, tier);
    // Few tiers exist, so this map stays at a handful of entries; past that, odd names are looked up each time
    // (cheap: an unknown tier name is no table's key).
    if (tiers.size < MAX_TIERS) tiers.set(tier, price);
    return price;
  }

  /**
   * Sets (or replaces) the price of `model` (or `provider/model`) from now on, over any bundled price.
   * @throws {InvalidPriceError} when `price` is not a valid price.
   */
  setPrice(model: string, price: ModelPrice): void {
    this.#addOverride(model, price);
    this.#entries.clear();
    this.#lastEntry = undefined;
  }

  #addOverride(model: string, price: ModelPrice): void {
    validatePrice(model, price);
    this.#overrides.set(model.trim().toLowerCase(), { ...price });
  }

  #remember(key: string, entry: Entry): Entry {
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order, so this drops the entry resolved longest ago.
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
    return entry;
  }

  #resolve(provider: string, model: string, now: number): Entry {
    const modelKey = model.trim().toLowerCase();
    const override =
      this.#overrides.get(`${provider.trim().toLowerCase()}/${modelKey}`) ?? this.#overrides.get(modelKey);
    if (override !== undefined) {
      return { price: compileModelPrice(override), tiers: undefined, expiresAt: Number.POSITIVE_INFINITY };
    }
    const unknown = { price: undefined, tiers: undefined, expiresAt: now + REFRESH_MS };
    if (!this.#bundled || modelKey === '') return unknown;
    const found = lookUp(provider, modelKey, new Date(now));
    if (found === null) return unknown;
    return {
      price: compileBundledPrice(found.model_price),
      tiers: new Map(),
      bundled: { price: found.model_price, providerId: found.provider.id, modelIds: [modelKey, found.model.id] },
      expiresAt: Math.min(now + REFRESH_MS, nextPriceChange(found.model, now)),
    };
  }
}

function lookUp(provider: string, model: string, timestamp: Date): PriceCalculationResult {
  try {
    const providerId = genaiProviderId(provider);
    if (providerId !== undefined) return calcPrice(NO_USAGE, model, { providerId, timestamp });
    const byModel = calcPrice(NO_USAGE, model, { timestamp });
    if (byModel !== null) return byModel;
    // `openai/gpt-4o`, as routers and gateways name models: the prefix says whose price it is.
    const slash = model.indexOf('/');
    const prefixId = slash > 0 ? genaiProviderId(model.slice(0, slash)) : undefined;
    return prefixId === undefined
      ? null
      : calcPrice(NO_USAGE, model.slice(slash + 1), { providerId: prefixId, timestamp });
  } catch {
    // genai-prices throws on data it cannot apply; a price it cannot compute is an unknown price.
    return null;
  }
}
