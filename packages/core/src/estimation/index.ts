export { type EncodingName, encodingForModel } from './encoding-for-model.js';
export { countTokens, estimateUsage } from './token-count.js';
