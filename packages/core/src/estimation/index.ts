export { type EncodingName, encodingForModel } from './encoding-for-model.js';
export { countTokens, estimateUsage, preloadTokenizers } from './token-count.js';
