/**
 * `@llmeter/core/wire`: the provider wire formats and the SSE parser, for front ends (the SDK wrapper, the
 * proxy) that read calls off the wire. Not part of the user API on `@llmeter/core`.
 */
export { anthropicWireFormat } from './anthropic.js';
export { geminiWireFormat, isGeminiPath } from './gemini.js';
export { type GeminiPathFacts, geminiModelName, geminiPathFacts } from './gemini-path.js';
export { geminiEmbeddingUsage, geminiUsage } from './gemini-usage.js';
export { JsonArrayStreamParser, type JsonArrayStreamParserOptions } from './json-array-stream-parser.js';
export { isRecord } from './json-shape.js';
export { openAiWireFormat } from './openai.js';
export { SSE_EVENT_LENGTH_LIMIT, type SseEvent, SseParser, type SseParserOptions } from './sse-parser.js';
export { streamUsageToAsk } from './stream-usage.js';
export type {
  RequestFacts,
  ResponseSummary,
  StreamAccumulator,
  StreamEventKind,
  StreamSummary,
  StreamUsageOption,
  WireFormat,
  WireFormatName,
} from './wire-format.js';
export { wireFormatForPath, wireFormats } from './wire-formats.js';
