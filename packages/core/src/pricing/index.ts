export { InvalidPriceError, type ModelPrice, type PriceOverrides } from './model-price.js';
export { PriceBook, type PriceBookOptions } from './price-book.js';
export {
  OPENAI_TIER_PRICES,
  OPENAI_TIER_PRICES_SOURCE,
  openAiTierPrices,
  type TierPrices,
  type TierTokenPrices,
} from './service-tier-prices.js';
