/**
 * Token counts of a simulated reply, in llmeter's normalized meaning: `input` includes `cachedInput` and
 * `cacheWrite`; `output` includes `reasoning`. Each wire format gets its own translation (OpenAI
 * `prompt_tokens` = `input`; Anthropic `input_tokens` = `input - cachedInput - cacheWrite`,
 * `cache_read_input_tokens` = `cachedInput`, `cache_creation_input_tokens` = `cacheWrite`).
 */
export interface SimulatedUsage {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  /** Of `cacheWrite`: tokens written to a 1-hour cache (Bedrock Converse `cacheDetails` with `ttl` `1h`). */
  cacheWrite1h?: number;
  reasoning?: number;
}

/** A tool (function) call the simulated model makes. `arguments` is the JSON text of the call's arguments. */
export interface SimulatedToolCall {
  name: string;
  arguments: string;
}

/**
 * How the simulator answers one request. Every field is optional; a missing field takes the built-in default
 * ({@link DEFAULT_REPLY_TEXT}, {@link DEFAULT_USAGE}, no delays, no faults), never the `defaultReply` option's.
 */
export interface ScriptedReply {
  /**
   * HTTP status, default 200. At 400 or above the provider's own error body for that status is sent (OpenAI
   * `{"error":{"message","type","param","code"}}`, Anthropic `{"type":"error","error":{"type","message"},"request_id"}`),
   * as JSON even when the request asked for a stream.
   */
  status?: number;
  /** Extra response headers, e.g. `{ 'retry-after': '0' }`; they override the simulator's own. */
  headers?: Record<string, string>;
  /**
   * The output text. Default {@link DEFAULT_REPLY_TEXT}, or `chunks.join('')` when `chunks` is set, or no text
   * at all when `toolCall` is set.
   */
  text?: string;
  /** The exact text deltas of a stream. Default: `text` split by {@link splitIntoChunks}. */
  chunks?: string[];
  /** Token counts to report. Default {@link DEFAULT_USAGE}. */
  usage?: SimulatedUsage;
  /**
   * The model the response names. Default: the request's `model`, else {@link DEFAULT_OPENAI_MODEL} or
   * {@link DEFAULT_ANTHROPIC_MODEL}.
   */
  responseModel?: string;
  /**
   * Delay before the first content chunk of a stream (time to first token). A JSON reply waits for the whole
   * simulated generation (`firstChunkDelayMs` plus `chunkDelayMs` per further chunk) before its headers.
   */
  firstChunkDelayMs?: number;
  /** Delay between content chunks of a stream. */
  chunkDelayMs?: number;
  /** Delay before the status line and headers are sent at all (for timeout tests). */
  headersDelayMs?: number;
  /**
   * Stream only: after this many content chunks (text deltas and tool-call argument deltas; 0 = right after the
   * stream's opening events) the socket is destroyed, with no terminator and no usage.
   */
  cutAfterChunks?: number;
  /**
   * Stream only: after this many content chunks the provider's in-stream error is sent (Anthropic
   * `event: error` with an `overloaded_error`, OpenAI chat and completions a `{"error":{...}}` data line,
   * Responses `response.failed`) and the response ends, without terminator or usage.
   */
  errorEventAfterChunks?: number;
  /**
   * Send no usage, as some OpenAI-compatible servers do: a chat or completions stream behaves as if
   * `stream_options.include_usage` was not asked for, chat, completions and embeddings JSON bodies have no
   * `usage` field, and the Responses API reports `usage: null`. Anthropic always reports usage, so Anthropic
   * replies ignore this.
   */
  omitUsage?: boolean;
  /** Answer with a tool call, after the text when `text` or `chunks` is also set, else instead of text. */
  toolCall?: SimulatedToolCall;
}

/** The text of the default reply. Streamed as `['Hello', ' from', ' the', ' llmeter', ' simulator!']`. */
export const DEFAULT_REPLY_TEXT = 'Hello from the llmeter simulator!';

/** The usage every reply reports unless it sets its own: 10 input tokens, 5 output tokens, nothing cached. */
export const DEFAULT_USAGE: Readonly<Required<SimulatedUsage>> = Object.freeze({
  input: 10,
  output: 5,
  cachedInput: 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  reasoning: 0,
});

/** The model an OpenAI-format response names when neither the request nor the reply names one. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** The model an Anthropic response names when neither the request nor the reply names one. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';

/**
 * Splits text into stream deltas the way models tend to: one word per delta, each word carrying the
 * whitespace before it. Joining the result gives back the text exactly; empty text gives no deltas.
 */
export function splitIntoChunks(text: string): string[] {
  const chunks: string[] = Array.from(text.match(/\s*\S+/g) ?? []);
  const consumed = chunks.reduce((length, chunk) => length + chunk.length, 0);
  if (consumed < text.length) chunks.push(text.slice(consumed));
  return chunks;
}

/** A reply with every default filled in, as the wire-format writers use it. */
export interface ResolvedReply {
  status: number;
  headers: Record<string, string>;
  text: string;
  chunks: string[];
  usage: Required<SimulatedUsage>;
  responseModel: string | undefined;
  firstChunkDelayMs: number;
  chunkDelayMs: number;
  headersDelayMs: number;
  cutAfterChunks: number | undefined;
  errorEventAfterChunks: number | undefined;
  omitUsage: boolean;
  toolCall: SimulatedToolCall | undefined;
  /** The tool call's arguments as stream deltas. */
  toolArgumentChunks: string[];
}

const TOOL_ARGUMENT_CHUNK_LENGTH = 16;

/** Fills in a reply's defaults. */
export function resolveReply(reply: ScriptedReply): ResolvedReply {
  const text = reply.text ?? reply.chunks?.join('') ?? (reply.toolCall ? '' : DEFAULT_REPLY_TEXT);
  const args = reply.toolCall?.arguments ?? '';
  const toolArgumentChunks: string[] = [];
  for (let start = 0; start < args.length; start += TOOL_ARGUMENT_CHUNK_LENGTH) {
    toolArgumentChunks.push(args.slice(start, start + TOOL_ARGUMENT_CHUNK_LENGTH));
  }
  return {
    status: reply.status ?? 200,
    headers: reply.headers ?? {},
    text,
    chunks: reply.chunks ?? splitIntoChunks(text),
    usage: { ...DEFAULT_USAGE, ...(reply.usage ?? {}) },
    responseModel: reply.responseModel,
    firstChunkDelayMs: nonNegative(reply.firstChunkDelayMs),
    chunkDelayMs: nonNegative(reply.chunkDelayMs),
    headersDelayMs: nonNegative(reply.headersDelayMs),
    cutAfterChunks: chunkCount(reply.cutAfterChunks),
    errorEventAfterChunks: chunkCount(reply.errorEventAfterChunks),
    omitUsage: reply.omitUsage ?? false,
    toolCall: reply.toolCall,
    toolArgumentChunks,
  };
}

function chunkCount(value: number | undefined): number | undefined {
  return value === undefined || Number.isNaN(value) ? undefined : Math.max(0, Math.floor(value));
}

function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * Reads a {@link ScriptedReply} from untrusted JSON (the `x-simulator-reply` header). Throws an `Error` naming
 * the first field of the wrong type.
 */
export function parseScriptedReply(json: string): ScriptedReply {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('x-simulator-reply is not valid JSON');
  }
  if (!isRecord(value)) throw new Error('x-simulator-reply must be a JSON object');
  const numbers = [
    'status',
    'firstChunkDelayMs',
    'chunkDelayMs',
    'headersDelayMs',
    'cutAfterChunks',
    'errorEventAfterChunks',
  ] as const;
  for (const key of numbers) {
    if (value[key] !== undefined && typeof value[key] !== 'number') throw fieldError(key, 'a number');
  }
  for (const key of ['text', 'responseModel'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') throw fieldError(key, 'a string');
  }
  if (value.omitUsage !== undefined && typeof value.omitUsage !== 'boolean') throw fieldError('omitUsage', 'a boolean');
  const { headers, chunks, usage, toolCall } = value;
  if (headers !== undefined && !(isRecord(headers) && Object.values(headers).every((v) => typeof v === 'string'))) {
    throw fieldError('headers', 'an object of strings');
  }
  if (chunks !== undefined && !(Array.isArray(chunks) && chunks.every((c) => typeof c === 'string'))) {
    throw fieldError('chunks', 'an array of strings');
  }
  if (usage !== undefined && !isUsage(usage)) throw fieldError('usage', 'an object with numbers input and output');
  if (
    toolCall !== undefined &&
    !(isRecord(toolCall) && typeof toolCall.name === 'string' && typeof toolCall.arguments === 'string')
  ) {
    throw fieldError('toolCall', 'an object with strings name and arguments');
  }
  // Every field was checked above, so the object is a ScriptedReply (unknown extra fields are ignored).
  return value as ScriptedReply;
}

function isUsage(value: unknown): boolean {
  if (!isRecord(value) || typeof value.input !== 'number' || typeof value.output !== 'number') return false;
  return [value.cachedInput, value.cacheWrite, value.cacheWrite1h, value.reasoning].every(
    (n) => n === undefined || typeof n === 'number',
  );
}

function fieldError(field: string, expected: string): Error {
  return new Error(`x-simulator-reply: ${field} must be ${expected}`);
}

/**
 * A plain JSON object. The simulator keeps this one copy of core's `isRecord` rather than depend on
 * `@llmeter/core`: it stands in for the providers, ships on its own (`llmeter simulate`), and must not share
 * code, and so bugs, with what it is used to test.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
