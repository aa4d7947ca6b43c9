/**
 * `@llmeter/core/wire`: the provider wire formats and the SSE parser, for front ends (the SDK wrapper, the
 * proxy) that read calls off the wire. Not part of the user API on `@llmeter/core`.
 */
export { anthropicWireFormat } from './anthropic.js';
export { isRecord } from './json-shape.js';
export { openAiWireFormat } from './openai.js';
export { type SseEvent, SseParser } from './sse-parser.js';
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
