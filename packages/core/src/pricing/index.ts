export { InvalidPriceError, type ModelPrice, type PriceOverrides } from './model-price.js';
export { PriceBook, type PriceBookOptions } from './price-book.js';
