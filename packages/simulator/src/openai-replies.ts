import type { IdSource } from './ids.js';
import type { ReplyPlan, StreamPlan } from './reply-playback.js';
import { DEFAULT_OPENAI_MODEL, isRecord, type ResolvedReply } from './scripted-reply.js';
import { sseFrame } from './sse-writer.js';

/** What an OpenAI-format reply is built from. */
export interface OpenAIReplyContext {
  reply: ResolvedReply;
  /** The request's JSON body (an empty object when it had none). */
  body: Record<string, unknown>;
  ids: IdSource;
  /** Unix seconds. */
  created: number;
}

/** The model names `GET /v1/models` lists (and the realistic profile picks from). */
export const SIMULATED_OPENAI_MODELS: readonly string[] = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1-mini',
  'o4-mini',
  'text-embedding-3-small',
];

/** How many dimensions an embedding has unless the request asks for `dimensions` (text-embedding-3-small's). */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;

const SYSTEM_FINGERPRINT = 'fp_sim0000000';
const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/** The model a response names: the reply's, else the request's, else {@link DEFAULT_OPENAI_MODEL}. */
export function responseModel(reply: ResolvedReply, body: Record<string, unknown>, fallback = DEFAULT_OPENAI_MODEL) {
  if (reply.responseModel !== undefined) return reply.responseModel;
  return typeof body.model === 'string' && body.model !== '' ? body.model : fallback;
}

/** Whether the body asks for a stream (only a literal `true` does, as with the real API). */
export function wantsStream(body: Record<string, unknown>): boolean {
  return body.stream === true;
}

function wantsStreamUsage(ctx: OpenAIReplyContext): boolean {
  const options = ctx.body.stream_options;
  return isRecord(options) && options.include_usage === true && !ctx.reply.omitUsage;
}

/** Chat Completions usage, with the detail objects the real API always sends. */
function chatUsage(reply: ResolvedReply) {
  const { input, output, cachedInput, reasoning } = reply.usage;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cachedInput, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** `POST /v1/chat/completions`. */
export function chatCompletionPlan(ctx: OpenAIReplyContext): ReplyPlan {
  const { reply, body, ids, created } = ctx;
  const id = ids.next('chatcmpl-');
  const model = responseModel(reply, body);
  const toolCallId = reply.toolCall ? ids.next('call_') : '';
  const finishReason = reply.toolCall ? 'tool_calls' : 'stop';
  const base = { id, created, model, service_tier: 'default', system_fingerprint: SYSTEM_FINGERPRINT };

  if (!wantsStream(body)) {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: reply.text === '' && reply.toolCall ? null : reply.text,
      refusal: null,
      annotations: [],
    };
    if (reply.toolCall) {
      message.tool_calls = [
        {
          id: toolCallId,
          type: 'function',
          function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments },
        },
      ];
    }
    const completion: Record<string, unknown> = {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    };
    if (!reply.omitUsage) completion.usage = chatUsage(reply);
    return { kind: 'json', body: completion };
  }

  const includeUsage = wantsStreamUsage(ctx);
  const chunk = (choices: unknown[], usage: unknown = null): string =>
    sseFrame({ ...base, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage } : {}) });
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const content = reply.chunks.map((text) => [chunk([choice({ content: text })])]);
  if (reply.toolCall) {
    const header = chunk([
      choice({
        tool_calls: [
          { index: 0, id: toolCallId, type: 'function', function: { name: reply.toolCall.name, arguments: '' } },
        ],
      }),
    ]);
    const argumentGroups = reply.toolArgumentChunks.map((args) => [
      chunk([choice({ tool_calls: [{ index: 0, function: { arguments: args } }] })]),
    ]);
    const [first, ...rest] = argumentGroups.length > 0 ? argumentGroups : [[]];
    content.push([header, ...(first ?? [])], ...rest);
  }
  const tail = [chunk([choice({}, finishReason)])];
  if (includeUsage) tail.push(chunk([], chatUsage(reply)));
  tail.push(sseFrame('[DONE]'));
  return {
    kind: 'stream',
    head: [chunk([choice({ role: 'assistant', content: reply.chunks.length > 0 ? '' : null, refusal: null })])],
    content,
    tail,
    errorTail: () => [sseFrame(streamErrorBody())],
  };
}

/** The `data:` payload OpenAI sends when a stream fails after it started. */
function streamErrorBody() {
  return { error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } };
}

/** `POST /v1/completions` (legacy). Tool calls do not exist here and are ignored. */
export function completionPlan(ctx: OpenAIReplyContext): ReplyPlan {
  const { reply, body, ids, created } = ctx;
  const id = ids.next('cmpl-');
  const model = responseModel(reply, body, 'gpt-3.5-turbo-instruct');
  const base = { id, object: 'text_completion', created, model, system_fingerprint: SYSTEM_FINGERPRINT };
  const usage = () => {
    const { input, output } = reply.usage;
    return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  };
  if (!wantsStream(body)) {
    const completion: Record<string, unknown> = {
      ...base,
      choices: [{ text: reply.text, index: 0, logprobs: null, finish_reason: 'stop' }],
    };
    if (!reply.omitUsage) completion.usage = usage();
    return { kind: 'json', body: completion };
  }
  const includeUsage = wantsStreamUsage(ctx);
  const chunk = (choices: unknown[], usageValue: unknown = null): string =>
    sseFrame({ ...base, choices, ...(includeUsage ? { usage: usageValue } : {}) });
  const choice = (text: string, finish: string | null = null) => ({
    text,
    index: 0,
    logprobs: null,
    finish_reason: finish,
  });
  const tail = [chunk([choice('', 'stop')])];
  if (includeUsage) tail.push(chunk([], usage()));
  tail.push(sseFrame('[DONE]'));
  const plan: StreamPlan = {
    kind: 'stream',
    head: [],
    content: reply.chunks.map((text) => [chunk([choice(text)])]),
    tail,
    errorTail: () => [sseFrame(streamErrorBody())],
  };
  return plan;
}

/** `POST /v1/embeddings`: one vector per input, as float arrays or base64 little-endian float32. */
export function embeddingsPlan(ctx: OpenAIReplyContext): ReplyPlan {
  const { reply, body } = ctx;
  const model = responseModel(reply, body, 'text-embedding-3-small');
  const requested = body.dimensions;
  const dimensions =
    typeof requested === 'number' && Number.isInteger(requested) && requested > 0 && requested <= 8192
      ? requested
      : DEFAULT_EMBEDDING_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  const data = embeddingInputs(body.input).map((input, index) => {
    const vector = simulatedEmbedding(input, dimensions);
    return { object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector };
  });
  const result: Record<string, unknown> = { object: 'list', data, model };
  if (!reply.omitUsage) result.usage = { prompt_tokens: reply.usage.input, total_tokens: reply.usage.input };
  return { kind: 'json', body: result };
}

/** The inputs of an embeddings request as strings: text as is, token arrays as their JSON. */
function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return [''];
  if (input.every((item) => typeof item === 'number')) return [JSON.stringify(input)];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/**
 * The vector the simulator returns for an input: deterministic (a hash of the text seeds it), values in about
 * [-0.98, 0.98], each a multiple of 1/1024 so that float32 (base64) and JSON numbers agree exactly.
 */
export function simulatedEmbedding(input: string, dimensions: number = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  // FNV-1a, then xorshift32 per dimension: cheap, stable, and good enough to tell inputs apart.
  let state = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    state ^= input.charCodeAt(i);
    state = Math.imul(state, 0x01000193) >>> 0;
  }
  if (state === 0) state = 1;
  const vector: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    vector.push(((state % 2001) - 1000) / 1024);
  }
  return vector;
}

function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => {
    bytes.writeFloatLE(value, i * 4);
  });
  return bytes.toString('base64');
}

/** `GET /v1/models`. */
export function modelsListBody(created: number) {
  return {
    object: 'list',
    data: SIMULATED_OPENAI_MODELS.map((id) => ({ id, object: 'model', created, owned_by: 'system' })),
  };
}

/**
 * OpenAI's error body for an HTTP status, with the `type` and `code` the real API uses for it. A `message`
 * replaces the stock message and clears the stock `code`, which belongs to the stock message.
 */
export function openaiErrorBody(status: number, message?: string) {
  const [stockMessage, type, code] = openaiErrorKind(status);
  return { error: { message: message ?? stockMessage, type, param: null, code: message === undefined ? code : null } };
}

function openaiErrorKind(status: number): [message: string, type: string, code: string | null] {
  switch (status) {
    case 400:
      return ['Invalid request (simulated).', 'invalid_request_error', null];
    case 401:
      return ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'];
    case 403:
      return ['You are not allowed to sample from this model.', 'invalid_request_error', null];
    case 404:
      return ['The model does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'];
    case 429:
      return ['Rate limit reached for requests (simulated).', 'requests', 'rate_limit_exceeded'];
    case 503:
      return ['The server is overloaded or not ready yet.', 'server_error', null];
  }
  if (status >= 500) return [SERVER_ERROR_MESSAGE, 'server_error', null];
  return [`Request failed with status ${status} (simulated).`, 'invalid_request_error', null];
}

/** The headers the OpenAI API sends with every response. */
export function openaiHeaders(requestId: string, processingMs: number): Record<string, string> {
  return {
    'x-request-id': requestId,
    'openai-processing-ms': String(Math.round(processingMs)),
    'openai-version': '2020-10-01',
  };
}
