import type { Operation, Usage } from '../record.js';

/** The wire formats llmeter understands. An OpenAI-compatible server speaks `openai`. */
export type WireFormatName = 'openai' | 'anthropic';

/** What a complete (non-streamed) response body tells about the call. */
export interface ResponseSummary {
  /** Normalized usage, when the body reported any. */
  usage?: Usage | undefined;
  /** The model that answered, as the provider names it (e.g. `gpt-4o-2024-08-06`). */
  responseModel?: string | undefined;
}

/**
 * What one stream event was, for the front end:
 * - `content`: carries output (text, a tool call's arguments, a refusal…); the first one marks time to first token.
 * - `usage_only`: OpenAI chat's extra `include_usage` chunk (empty `choices`, usage set). A front end that asked
 *   for usage on the caller's behalf hides exactly these events from the caller.
 * - `error`: the provider reported an error inside the stream (Anthropic `error`, Responses `error` /
 *   `response.failed`, an OpenAI chunk with an `error` object).
 * - `other`: anything else (role-only deltas, pings, lifecycle events).
 */
export type StreamEventKind = 'content' | 'usage_only' | 'error' | 'other';

/** What a whole stream told about the call, so far. */
export interface StreamSummary extends ResponseSummary {
  /**
   * The stream reached its normal end (`[DONE]`, `message_stop`, `response.completed`/`incomplete`). For
   * OpenAI chunk streams, every choice having a `finish_reason` also counts, since the SDKs swallow `[DONE]`.
   */
  finished: boolean;
  /** The provider reported an error inside the stream. */
  failed: boolean;
  /**
   * The output text seen so far (text deltas, tool-call arguments), kept only so that tokens can be counted
   * locally when the provider reports no usage.
   */
  outputText(): string;
  /**
   * How many characters of output text the stream carried in all. Only the first part of a very long output is
   * kept ({@link StreamSummary.outputText}); a local count extrapolates from it to this length.
   */
  outputLength(): number;
}

/**
 * Follows one stream, event by event. Fed with each event's decoded JSON `data` (the SDKs hand these out as
 * chunk objects; the proxy decodes them from SSE bytes). Holds no more than the summary needs.
 */
export interface StreamAccumulator {
  /**
   * Takes one event. `eventName` is the SSE `event:` field when there was one (Anthropic and the Responses API
   * also carry it in `data.type`, so it is optional). Never throws on unexpected shapes: it returns `other`.
   */
  push(data: unknown, eventName?: string): StreamEventKind;
  /** Takes the raw `data:` text of an SSE event (`[DONE]` included); decodes JSON and calls {@link push}. */
  pushRaw(data: string, eventName?: string): StreamEventKind;
  summary(): StreamSummary;
}

/** One provider's wire format, parsed in one place. */
export interface WireFormat {
  readonly name: WireFormatName;
  /** The operation a request path names (`/v1/chat/completions` → `chat`), else `other`. */
  operationForPath(path: string): Operation;
  /** Usage and response model from a complete JSON response body (already parsed). */
  parseResponse(operation: Operation, body: unknown): ResponseSummary;
  createStreamAccumulator(operation: Operation): StreamAccumulator;
  /** The prompt text of a request body (messages, input, prompt, system…), for local token counting. */
  requestText(operation: Operation, body: unknown): string;
}
