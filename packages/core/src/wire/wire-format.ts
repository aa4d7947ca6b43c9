import type { Operation, Usage } from '../record.js';

/** The wire formats llmeter understands. An OpenAI-compatible server speaks `openai`. */
export type WireFormatName = 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'ollama';

/** What a complete (non-streamed) response body tells about the call. */
export interface ResponseSummary {
  /** Normalized usage, when the body reported any. */
  usage?: Usage | undefined;
  /** The model that answered, as the provider names it (e.g. `gpt-4o-2024-08-06`). */
  responseModel?: string | undefined;
  /**
   * An OpenAI Responses API response object's identity and state, when the body (or the stream) carried one: a
   * response can be seen several times (created, polled, resumed), and its usage must be counted once.
   */
  responseState?: ResponseState | undefined;
}

/** Which response a body showed, and how far along it was. */
export interface ResponseState {
  /** The response id (`resp_…`). */
  id: string;
  /** `queued`, `in_progress`, `completed`, `incomplete`, `failed`, `cancelled` (as the provider says it). */
  status: string;
  /** Created with `background: true`: it runs on after its stream stops being read, and is billed in full. */
  background: boolean;
  /**
   * The state is final: the response will not change again and its usage (when it has any) is final. Decided by
   * the wire format, so that front ends and `callOutcome` need no provider knowledge.
   */
  final: boolean;
}

/**
 * What one stream event was, for the front end:
 * - `content`: carries output (text, a tool call's arguments, a refusal…); the first one marks time to first token.
 * - `usage_only`: OpenAI chat's extra `include_usage` chunk (empty `choices`, and usage set; or, once every choice
 *   finished, a `usage` member of any value). A front end that asked for usage on the caller's behalf hides
 *   exactly these events from the caller.
 * - `error`: the provider reported an error inside the stream (Anthropic `error`, Responses `error` /
 *   `response.failed`, an OpenAI chunk with an `error` object).
 * - `other`: anything else (role-only deltas, pings, lifecycle events).
 */
export type StreamEventKind = 'content' | 'usage_only' | 'error' | 'other';

/** What a whole stream told about the call, so far. */
export interface StreamSummary extends ResponseSummary {
  /**
   * The stream reached its normal end (`[DONE]`, `message_stop`, `response.completed`/`incomplete`). For
   * OpenAI chunk streams, every choice having a `finish_reason` also counts: the SDKs swallow `[DONE]`, so this
   * is the end an SDK front end can see.
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

/** What a request body names, as far as measuring a call goes. */
export interface RequestFacts {
  /** The model the request names; empty when it names none (or the body is not a JSON object). */
  model: string;
  /** Whether the request asks for a streamed (SSE) response. */
  stream: boolean;
}

/**
 * How a request asks a stream for its usage, in a format whose streams report usage only when asked (OpenAI
 * chat and legacy completions: `stream_options.include_usage`). A front end asks on the caller's behalf so that
 * tokens are reported rather than estimated, then hides the extra `usage_only` event from the caller.
 */
export interface StreamUsageOption {
  /** The operations whose streams report usage only when the request asks. */
  readonly operations: ReadonlySet<Operation>;
  /**
   * The top-level member {@link StreamUsageOption.ask} adds to a body that has no member of that name (OpenAI:
   * `stream_options` = `{ include_usage: true }`). A front end that edits request bytes inserts exactly this.
   */
  readonly member: { readonly name: string; readonly value: Readonly<Record<string, unknown>> };
  /** Whether a request body already asks for usage (`stream_options.include_usage: true`). */
  asked(body: unknown): boolean;
  /**
   * A copy of a request body that asks for usage, keeping the body's other options (`stream_options` is merged,
   * not replaced). The body itself is left as it was: a caller may reuse or inspect it afterwards.
   */
  ask(body: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /**
   * Whether an error answer to a request that asked for usage refuses the option itself (some OpenAI-compatible
   * servers answer 400 naming `stream_options`): such a server generated nothing, so a front end may send the
   * request again, once, as the caller wrote it, and count that upstream's streams locally. `body` is the error's
   * text (or as much of it as the front end read).
   */
  refused(status: number, body: string): boolean;
}

/** One provider's wire format, parsed in one place. */
export interface WireFormat {
  readonly name: WireFormatName;
  /** The operation a request path names (`/v1/chat/completions` → `chat`), else `other`. */
  operationForPath(path: string): Operation;
  /**
   * The model and stream flag of a request: its body (already parsed) and, when the front end has it, its path.
   * OpenAI and Anthropic name both in the body and ignore the path; Gemini names both in the path
   * (`models/{model}:streamGenerateContent`) and, without one (an SDK's params), reads the body's `model`.
   * Never throws.
   */
  readRequest(body: unknown, path?: string): RequestFacts;
  /**
   * Set when some of this format's streams report usage only when asked; `undefined` when every stream reports
   * it (Anthropic Messages, OpenAI Responses).
   */
  readonly streamUsageOption?: StreamUsageOption | undefined;
  /**
   * Set when this format's request bodies are JSON whatever `Content-Type` they declare (Ollama's clients send
   * `text/plain` or none): a front end that reads only JSON bodies reads these too (as bounded), for the model.
   */
  readonly requestBodyIsJson?: boolean | undefined;
  /** Usage and response model from a complete JSON response body (already parsed). */
  parseResponse(operation: Operation, body: unknown): ResponseSummary;
  createStreamAccumulator(operation: Operation): StreamAccumulator;
  /** The prompt text of a request body (messages, input, prompt, system…), for local token counting. */
  requestText(operation: Operation, body: unknown): string;
}
