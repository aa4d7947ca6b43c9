import type { IdSource } from './ids.js';
import { simulatedEmbedding } from './openai-replies.js';
import type { ReplyPlan } from './reply-playback.js';
import { isRecord, type ResolvedReply } from './scripted-reply.js';

/** What a Gemini API (or Vertex AI) path names: `…/models/{model}:{method}`. */
export interface GeminiRoute {
  model: string;
  /** `generateContent`, `streamGenerateContent`, `embedContent`, `batchEmbedContents`, … */
  method: string;
  /** A Vertex AI path (`/v1/projects/{p}/locations/{l}/publishers/google/models/…`). */
  vertex: boolean;
  /** `?alt=sse`: a stream as server-sent events rather than one JSON array. */
  sse: boolean;
}

/** What a Gemini reply is built from. */
export interface GeminiReplyContext {
  reply: ResolvedReply;
  body: Record<string, unknown>;
  ids: IdSource;
  route: GeminiRoute;
}

/** The model a Gemini request names when its path names none the simulator can read. */
export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

/** How many dimensions a Gemini embedding has unless the request asks for `outputDimensionality`. */
export const DEFAULT_GEMINI_EMBEDDING_DIMENSIONS = 3072;

const MODEL_METHOD = /\/(?:models|tunedModels|endpoints)\/([^/:]+):([A-Za-z]+)$/;

/** Reads a Gemini path and its query string (`url` as received); `undefined` for any other path. */
export function geminiRoute(url: string): GeminiRoute | undefined {
  const [rawPath = '', query = ''] = url.split('?', 2);
  let path = rawPath.replace(/\/+$/, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const match = MODEL_METHOD.exec(path);
  if (match === null) return undefined;
  const alt = new URLSearchParams(query).get('alt');
  return {
    model: match[1] ?? DEFAULT_GEMINI_MODEL,
    method: match[2] ?? '',
    vertex: /\/projects\/[^/]+\/locations\//.test(path),
    sse: alt === 'sse',
  };
}

/** The content type of a Gemini stream: SSE with `?alt=sse`, else the JSON array. */
export function geminiStreamContentType(route: GeminiRoute): string {
  return route.sse ? 'text/event-stream' : 'application/json; charset=UTF-8';
}

/**
 * JSON as Google's front ends write it: `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`. In a stream
 * event the API also puts a space after each colon and none after a comma (`{"text": "Hi"}],"role": "model"}`);
 * `pretty` gives the two-space indented form of JSON bodies and JSON-array elements instead.
 */
export function googleJson(value: unknown, pretty = false): string {
  const text = pretty ? JSON.stringify(value, null, 2) : eventJson(value);
  return text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function eventJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(eventJson).join(',')}]`;
  if (isRecord(value)) {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    return `{${members.map(([key, member]) => `${JSON.stringify(key)}: ${eventJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `usageMetadata` as the API sends it: `promptTokenCount` includes the cached tokens; candidates and thoughts are
 * counted apart (llmeter's `output` is their sum); counts that are zero are left out, as proto3 JSON does.
 * `candidates` is the running total so far (streams send cumulative counts on every chunk).
 */
function usageMetadata(reply: ResolvedReply, candidates: number, vertex: boolean): Record<string, unknown> {
  const { input, cachedInput, reasoning } = reply.usage;
  const cached = Math.min(cachedInput, input);
  const usage: Record<string, unknown> = { promptTokenCount: input };
  if (candidates > 0) usage.candidatesTokenCount = candidates;
  usage.totalTokenCount = input + candidates + reasoning;
  if (cached > 0) usage.cachedContentTokenCount = cached;
  usage.promptTokensDetails = [{ modality: 'TEXT', tokenCount: input }];
  if (cached > 0) usage.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: cached }];
  if (reasoning > 0) usage.thoughtsTokenCount = reasoning;
  if (vertex) usage.trafficType = 'ON_DEMAND';
  return usage;
}

function parsedArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

/** `:generateContent` and `:streamGenerateContent`: a `GenerateContentResponse`, or its stream of them. */
function generatePlan(ctx: GeminiReplyContext, stream: boolean): ReplyPlan {
  const { reply, ids, route } = ctx;
  const modelVersion = reply.responseModel ?? route.model;
  const responseId = ids.next('');
  const visible = Math.max(0, reply.usage.output - reply.usage.reasoning);
  const functionCall = reply.toolCall
    ? { functionCall: { name: reply.toolCall.name, args: parsedArguments(reply.toolCall.arguments) } }
    : undefined;
  const response = (parts: unknown[], candidates: number, finished: boolean) => ({
    candidates: [
      {
        content: { parts, role: 'model' },
        ...(finished ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    ...(reply.omitUsage ? {} : { usageMetadata: usageMetadata(reply, candidates, route.vertex) }),
    modelVersion,
    ...(route.vertex ? { createTime: new Date().toISOString() } : {}),
    responseId,
  });

  if (!stream) {
    const parts: unknown[] = [];
    if (reply.text !== '' || functionCall === undefined) parts.push({ text: reply.text });
    if (functionCall !== undefined) parts.push(functionCall);
    return { kind: 'json', body: response(parts, visible, true) };
  }

  // One chunk per text delta; the function call (Gemini sends it whole) and the finish reason ride on the last.
  const deltas: unknown[][] = reply.chunks.map((text) => [{ text }]);
  if (functionCall !== undefined) deltas.push([functionCall]);
  if (deltas.length === 0) deltas.push([{ text: '' }]);
  const chunks = deltas.map((parts, i) => {
    const last = i === deltas.length - 1;
    const candidates = last ? visible : Math.round((visible * (i + 1)) / deltas.length);
    return response(parts, candidates, last);
  });
  const error = {
    error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
  };
  if (route.sse) {
    const frame = (value: unknown) => `data: ${googleJson(value)}\r\n\r\n`;
    return {
      kind: 'stream',
      head: [],
      content: chunks.map((chunk) => [frame(chunk)]),
      tail: [],
      errorTail: () => [frame(error)],
    };
  }
  // The JSON array, flushed element by element: `[{…}` then `\n,\r\n{…}` for each next one, `\n]` at the end.
  const element = (value: unknown, i: number) => `${i === 0 ? '[' : '\n,\r\n'}${googleJson(value, true)}`;
  return {
    kind: 'stream',
    head: [],
    content: chunks.map((chunk, i) => [element(chunk, i)]),
    tail: ['\n]'],
    errorTail: (sent) => [`${element(error, sent)}\n]`],
  };
}

/** The text of an embedding request's content (`{ parts: [{ text }] }`). */
function contentText(content: unknown): string {
  const parts = isRecord(content) ? content.parts : undefined;
  if (!Array.isArray(parts)) return '';
  return parts.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

function dimensionsOf(request: Record<string, unknown>): number {
  const requested = request.outputDimensionality;
  return typeof requested === 'number' && Number.isInteger(requested) && requested > 0 && requested <= 8192
    ? requested
    : DEFAULT_GEMINI_EMBEDDING_DIMENSIONS;
}

/**
 * `:embedContent` (one `embedding`) and `:batchEmbedContents` (one per request, in `embeddings`), with the
 * `usageMetadata.promptTokenCount` newer embedding models report.
 */
function embedPlan(ctx: GeminiReplyContext, batch: boolean): ReplyPlan {
  const { reply, body } = ctx;
  const usage = reply.omitUsage
    ? {}
    : {
        usageMetadata: {
          promptTokenCount: reply.usage.input,
          promptTokenDetails: [{ modality: 'TEXT', tokenCount: reply.usage.input }],
        },
      };
  if (!batch) {
    const values = simulatedEmbedding(contentText(body.content), dimensionsOf(body));
    return { kind: 'json', body: { embedding: { values }, ...usage } };
  }
  const requests = Array.isArray(body.requests) ? body.requests.filter(isRecord) : [];
  const embeddings = requests.map((request) => ({
    values: simulatedEmbedding(contentText(request.content), dimensionsOf(request)),
  }));
  return { kind: 'json', body: { embeddings, ...usage } };
}

/** The reply to a Gemini method, or `undefined` for a method the simulator does not speak (a 404). */
export function geminiPlan(ctx: GeminiReplyContext): ReplyPlan | undefined {
  switch (ctx.route.method) {
    case 'generateContent':
      return generatePlan(ctx, false);
    case 'streamGenerateContent':
      return generatePlan(ctx, true);
    case 'embedContent':
      return embedPlan(ctx, false);
    case 'batchEmbedContents':
      return embedPlan(ctx, true);
    case 'countTokens':
      return { kind: 'json', body: { totalTokens: ctx.reply.usage.input } };
  }
  return undefined;
}

/** Google's error body for an HTTP status: `{"error": {"code", "message", "status"}}` with the canonical status. */
export function geminiErrorBody(status: number, message?: string) {
  const [canonical, stockMessage] = geminiErrorKind(status);
  return { error: { code: status, message: message ?? stockMessage, status: canonical } };
}

function geminiErrorKind(status: number): [status: string, message: string] {
  switch (status) {
    case 400:
      return ['INVALID_ARGUMENT', 'Request contains an invalid argument.'];
    case 401:
      return ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'];
    case 403:
      return ['PERMISSION_DENIED', "Method doesn't allow unregistered callers. Please use API Key."];
    case 404:
      return ['NOT_FOUND', 'The requested model is not found (simulated).'];
    case 413:
      return ['INVALID_ARGUMENT', 'Request payload size exceeds the limit.'];
    case 429:
      return ['RESOURCE_EXHAUSTED', 'You exceeded your current quota (simulated).'];
    case 499:
      return ['CANCELLED', 'The operation was cancelled.'];
    case 503:
      return ['UNAVAILABLE', 'The model is overloaded. Please try again later.'];
    case 504:
      return ['DEADLINE_EXCEEDED', 'The request timed out. Please try again.'];
  }
  if (status >= 500) return ['INTERNAL', 'An internal error has occurred. Please retry (simulated).'];
  return ['FAILED_PRECONDITION', `Request failed with status ${status} (simulated).`];
}

/** The headers Google's front end sends with every Gemini response. */
export function geminiHeaders(processingMs: number): Record<string, string> {
  return { 'server-timing': `gfet4t7; dur=${Math.round(processingMs)}`, vary: 'Origin, X-Origin, Referer' };
}
