/**
 * `@llmeter/core/wire`: the provider wire formats and the SSE parser, for front ends (the SDK wrapper, the
 * proxy) that read calls off the wire. Not part of the user API on `@llmeter/core`.
 */

export { isRecord } from '../json-shape.js';
export { anthropicWireFormat } from './anthropic.js';
export { plainTextDelta } from './anthropic-stream.js';
export { type BedrockAction, type BedrockPathFacts, bedrockPathFacts, bedrockWireFormat } from './bedrock.js';
export {
  BedrockInvokeStreamAccumulator,
  bedrockInvokeFormat,
  bedrockInvokeResponse,
  isBedrockAnthropicModel,
} from './bedrock-invoke.js';
export { bedrockInvocationUsage, bedrockUsage, withBedrockServiceTier } from './bedrock-usage.js';
export { geminiWireFormat, isGeminiPath } from './gemini.js';
export { type GeminiPathFacts, geminiModelName, geminiPathFacts } from './gemini-path.js';
export { geminiEmbeddingUsage, geminiUsage } from './gemini-usage.js';
export { JsonArrayStreamParser, type JsonArrayStreamParserOptions } from './json-array-stream-parser.js';
export { NdjsonParser, type NdjsonParserOptions } from './ndjson-parser.js';
export { isOllamaPath, ollamaWireFormat } from './ollama.js';
export { ollamaUsage } from './ollama-usage.js';
export { openAiWireFormat } from './openai.js';
export {
  FINAL_RESPONSE_STATUSES,
  isFinalResponse,
  openAiResponseState,
  responseIdOfPath,
} from './openai-response-state.js';
export { plainChunkContent } from './openai-stream.js';
export { SSE_EVENT_LENGTH_LIMIT, type SseEvent, SseParser, type SseParserOptions } from './sse-parser.js';
export { streamUsageToAsk } from './stream-usage.js';
export type {
  RequestFacts,
  ResponseState,
  ResponseSummary,
  StreamAccumulator,
  StreamEventKind,
  StreamSummary,
  StreamUsageOption,
  WireFormat,
  WireFormatName,
} from './wire-format.js';
export { wireFormatForPath, wireFormats } from './wire-formats.js';
