export {
  type AiSdkMiddlewareOptions,
  type AiSdkModelLike,
  type AiSdkStreamOptions,
  type LlmeterEmbeddingModelMiddleware,
  type LlmeterLanguageModelMiddleware,
  llmeterEmbeddingMiddleware,
  llmeterMiddleware,
} from './ai-sdk-middleware.js';
export { withLabels } from './call-labels.js';
export { type InstrumentOptions, instrument } from './instrument.js';
