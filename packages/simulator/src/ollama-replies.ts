import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { responseModel } from './openai-replies.js';
import { generationMs, pause, playStream, type StreamPlan, sendJson } from './reply-playback.js';
import type { ResolvedReply } from './scripted-reply.js';
import { writeFrames } from './sse-writer.js';

/** The model an Ollama request names when its body names none. */
export const DEFAULT_OLLAMA_MODEL = 'llama3';

/** The content type of an Ollama stream: one JSON object a line. */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** An Ollama native generation endpoint: `/api/chat` (messages) or `/api/generate` (a prompt). */
export type OllamaRoute = 'chat' | 'generate';

/** The Ollama route of a path (as received, query string included), or `undefined` when it is not one. */
export function ollamaRoute(url: string): OllamaRoute | undefined {
  const path = (url.split('?', 1)[0] ?? '').replace(/\/+$/, '');
  if (path === '/api/chat') return 'chat';
  if (path === '/api/generate') return 'generate';
  return undefined;
}

/** What an Ollama reply is built from. */
export interface OllamaReplyContext {
  route: OllamaRoute;
  reply: ResolvedReply;
  /** The parsed JSON body; `undefined` when it was not JSON. */
  body: unknown;
  /** `undefined` when the body was too large to read. */
  rawBody: Buffer | undefined;
  signal: AbortSignal;
}

const NS_PER_MS = 1_000_000;
// Ollama reports the time it took to load the model; a model already in memory loads in about a millisecond.
const LOAD_DURATION_NS = 1_631_208;

/**
 * Answers Ollama's native `/api/chat` and `/api/generate` as Ollama does: a stream unless the body says
 * `"stream": false` (Ollama streams by default), as NDJSON lines of `{ model, created_at, message | response,
 * done: false }`, the last line `done: true` with `done_reason`, the durations in nanoseconds and the usage,
 * `prompt_eval_count` (input) and `eval_count` (output); a JSON reply is that last line with the whole text.
 * Errors are `{"error": "..."}`, in a stream as its last line. `omitUsage` leaves the two counts out (as Ollama
 * does when the whole prompt came from its cache).
 */
export async function answerOllama(res: ServerResponse, ctx: OllamaReplyContext): Promise<void> {
  const { reply, signal } = ctx;
  if (ctx.rawBody === undefined) return sendOllamaError(res, ctx, 413, 'request body too large');
  if (reply.status >= 400) return sendOllamaError(res, ctx, reply.status);
  const body = ctx.body;
  if (ctx.rawBody.length > 0 && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    return sendOllamaError(res, ctx, 400, 'invalid character in request body');
  }
  const request = (body ?? {}) as Record<string, unknown>;
  const model = responseModel(reply, request, DEFAULT_OLLAMA_MODEL);
  const line = (content: string, done: boolean) => ({
    model,
    created_at: new Date().toISOString(),
    ...(ctx.route === 'chat' ? { message: { role: 'assistant', content } } : { response: content }),
    done,
  });
  const waitMs = reply.headersDelayMs + generationMs(reply, reply.chunks.length);
  const final = (content: string) => ({ ...line(content, true), ...doneFields(reply, waitMs) });

  if (request.stream === false) {
    const headers = { 'content-type': 'application/json; charset=utf-8', ...reply.headers };
    await sendJson(res, 200, headers, final(reply.text), waitMs, signal);
    return;
  }
  const ndjson = (value: unknown) => `${JSON.stringify(value)}\n`;
  const plan: StreamPlan = {
    kind: 'stream',
    head: [],
    content: reply.chunks.map((chunk) => [ndjson(line(chunk, false))]),
    tail: [ndjson(final(''))],
    errorTail: () => [ndjson({ error: 'an error was encountered while running the model (simulated)' })],
  };
  const headers: OutgoingHttpHeaders = { 'content-type': NDJSON_CONTENT_TYPE, ...reply.headers };
  if (!(await pause(reply.headersDelayMs, signal))) return;
  await playStream(res, headers, plan, reply, signal, writeFrames);
}

/** The fields of the `done: true` line: why it ended, the durations (ns), and the usage unless omitted. */
function doneFields(reply: ResolvedReply, totalMs: number): Record<string, unknown> {
  const promptMs = reply.firstChunkDelayMs;
  const evalMs = reply.chunkDelayMs * Math.max(1, reply.chunks.length);
  return {
    done_reason: 'stop',
    total_duration: Math.round(totalMs * NS_PER_MS) + LOAD_DURATION_NS,
    load_duration: LOAD_DURATION_NS,
    ...(reply.omitUsage ? {} : { prompt_eval_count: reply.usage.input }),
    prompt_eval_duration: Math.round(promptMs * NS_PER_MS),
    ...(reply.omitUsage ? {} : { eval_count: reply.usage.output }),
    eval_duration: Math.round(evalMs * NS_PER_MS),
  };
}

function sendOllamaError(res: ServerResponse, ctx: OllamaReplyContext, status: number, message?: string) {
  const headers = { 'content-type': 'application/json; charset=utf-8', ...ctx.reply.headers };
  const body = { error: message ?? `simulated error (status ${status})` };
  return sendJson(res, status, headers, body, ctx.reply.headersDelayMs, ctx.signal);
}
