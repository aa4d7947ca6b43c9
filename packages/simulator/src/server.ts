import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicErrorBody, anthropicHeaders, messagesPlan } from './anthropic-replies.js';
import { BackgroundResponses } from './background-responses.js';
import { answerBedrock, type BedrockRoute, bedrockRoute } from './bedrock-replies.js';
import {
  type GeminiRoute,
  geminiErrorBody,
  geminiHeaders,
  geminiPlan,
  geminiRoute,
  geminiStreamContentType,
} from './gemini-replies.js';
import { IdSource } from './ids.js';
import { answerOllama, ollamaRoute } from './ollama-replies.js';
import {
  chatCompletionPlan,
  completionPlan,
  embeddingsPlan,
  modelsListBody,
  type OpenAIReplyContext,
  openaiErrorBody,
  openaiHeaders,
} from './openai-replies.js';
import { RateLimitWindows, type SimulatedRateLimits } from './rate-limit-headers.js';
import { createRealisticProfile, type RealisticProfileOptions } from './realistic-profile.js';
import { generationMs, pause, playStream, type ReplyPlan, sendJson } from './reply-playback.js';
import { responsesPlan } from './responses-api-replies.js';
import {
  isRecord,
  parseScriptedReply,
  type ResolvedReply,
  resolveReply,
  type ScriptedReply,
} from './scripted-reply.js';
import { writeFrames } from './sse-writer.js';

/** One request the simulator received, recorded before it was answered. */
export interface ReceivedRequest {
  method: string;
  /** The URL path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The URL as received, query string included. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** The body parsed as JSON; `undefined` when it was empty or not JSON. */
  body: unknown;
}

/** How to start a simulator. */
export interface SimulatorOptions extends RealisticProfileOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default 0: a free port, see {@link Simulator.port}. */
  port?: number;
  /**
   * `scripted` (default): every request gets the next queued reply, else `defaultReply`.
   * `realistic`: a request with no queued reply gets a random but seeded one, see {@link RealisticProfileOptions}.
   */
  profile?: 'scripted' | 'realistic';
  /** The reply when the queue is empty (scripted profile). Default: every {@link ScriptedReply} default. */
  defaultReply?: ScriptedReply;
  /**
   * The rate limits OpenAI and Anthropic replies report in their headers (`x-ratelimit-*`,
   * `anthropic-ratelimit-*`, and `retry-after` on a 429), per provider and model, in a fixed window opened by
   * its first request; each successful reply draws one request and its input and output tokens. Default: the
   * high-tier `DEFAULT_RATE_LIMITS`; `false` sends no rate-limit headers. Gemini sends none.
   */
  rateLimits?: Partial<Record<'openai' | 'anthropic', SimulatedRateLimits>> | false;
  /**
   * Answer every OpenAI-format request that has `stream_options` with a 400 naming it, as OpenAI-compatible
   * servers that do not know the option do (Azure OpenAI before `2024-09-01-preview`: `Unrecognized request
   * argument supplied: stream_options`). The request uses up its queued reply. Default false.
   */
  refuseStreamOptions?: boolean;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:54321`. OpenAI clients take `url + '/v1'`. */
  readonly url: string;
  readonly port: number;
  /**
   * Replies for the next requests, in order: one per request, whatever its path (a malformed or unknown request
   * uses one up too). When the queue is empty the default reply is used. A request's `x-simulator-reply` header
   * wins over the queue and leaves it untouched.
   */
  enqueue(...replies: ScriptedReply[]): void;
  /** Every request received since the start or the last {@link Simulator.reset}, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** Clears the reply queue and the recorded requests. */
  reset(): void;
  /** Stops listening and destroys open sockets (keep-alive ones and streams in progress); never hangs. */
  close(): Promise<void>;
}

/** The request header that scripts one request's reply from another process: a JSON {@link ScriptedReply}. */
export const SIMULATOR_REPLY_HEADER = 'x-simulator-reply';

// Larger bodies than the real APIs accept are not worth buffering.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

type Provider = 'openai' | 'anthropic' | 'gemini';

/** Starts a simulator on a free port of 127.0.0.1 (by default). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const queue: ScriptedReply[] = [];
  const requests: ReceivedRequest[] = [];
  const ids = new IdSource();
  const background = new BackgroundResponses();
  const shutdown = new AbortController();
  const realistic = options.profile === 'realistic' ? createRealisticProfile(options) : undefined;
  const defaultReply = options.defaultReply ?? {};
  const rateLimits = options.rateLimits === false ? undefined : new RateLimitWindows(options.rateLimits);

  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(openaiErrorBody(500)));
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const route = path.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
    // Gemini names its model and method in the path (`/v1beta/models/{model}:generateContent`), under any prefix.
    const gemini = geminiRoute(url);
    const provider: Provider = gemini !== undefined ? 'gemini' : route === '/messages' ? 'anthropic' : 'openai';
    const body = parseJson(rawBody);
    requests.push({ method, path, url, headers: { ...req.headers }, rawBody: rawBody ?? Buffer.alloc(0), body });

    const requestController = new AbortController();
    res.on('close', () => requestController.abort());
    const signal = AbortSignal.any([shutdown.signal, requestController.signal]);
    const requestId = ids.next('req_');
    const providerHeaders = (processingMs: number) =>
      provider === 'anthropic'
        ? anthropicHeaders(requestId)
        : provider === 'gemini'
          ? geminiHeaders(processingMs)
          : openaiHeaders(requestId, processingMs);
    const model = isRecord(body) && typeof body.model === 'string' ? body.model : '';
    // What is left of the rate limits once this reply drew `charge` from them (nothing, for an error).
    const limitHeaders = (status: number, charge?: { input: number; output: number }): Record<string, string> => {
      if (rateLimits === undefined || provider === 'gemini') return {};
      const headers = rateLimits.headers(provider, model, charge);
      return status === 429 ? { ...headers, 'retry-after': rateLimits.retryAfter(provider, model) } : headers;
    };
    const sendError = (reply: ResolvedReply, status: number, message?: string) => {
      const errorBody =
        provider === 'anthropic'
          ? anthropicErrorBody(status, message, requestId)
          : provider === 'gemini'
            ? geminiErrorBody(status, message)
            : openaiErrorBody(status, message);
      const headers = {
        'content-type': 'application/json',
        ...providerHeaders(reply.headersDelayMs),
        ...limitHeaders(status),
        ...reply.headers,
      };
      return sendJson(res, status, headers, errorBody, reply.headersDelayMs, signal);
    };

    const bedrock = method === 'POST' ? bedrockRoute(path) : undefined;
    let scripted: ScriptedReply;
    const headerValue = req.headers[SIMULATOR_REPLY_HEADER];
    try {
      scripted =
        typeof headerValue === 'string'
          ? parseScriptedReply(headerValue)
          : (queue.shift() ??
            realistic?.replyFor(
              gemini !== undefined
                ? geminiProfileRoute(gemini)
                : bedrock !== undefined
                  ? `/bedrock/${bedrock.action}`
                  : route,
              gemini !== undefined
                ? geminiProfileBody(gemini, body)
                : bedrock !== undefined
                  ? bedrockProfileBody(bedrock, body)
                  : isRecord(body)
                    ? body
                    : {},
            ) ??
            defaultReply);
    } catch (error) {
      await sendError(resolveReply({}), 400, error instanceof Error ? error.message : String(error));
      return;
    }
    const reply = resolveReply(scripted);
    if (bedrock !== undefined) {
      await answerBedrock(res, { route: bedrock, reply, body, rawBody, ids, requestId, signal });
      return;
    }
    const ollama = method === 'POST' ? ollamaRoute(url) : undefined;
    if (ollama !== undefined) {
      await answerOllama(res, { route: ollama, reply, body, rawBody, signal });
      return;
    }
    if (rawBody === undefined) {
      await sendError(reply, 413);
      return;
    }
    if (reply.status >= 400) {
      await sendError(reply, reply.status);
      return;
    }
    if (rawBody.length > 0 && !isRecord(body)) {
      const message =
        provider === 'anthropic'
          ? 'There was an issue with the format of your request: the body is not a JSON object.'
          : provider === 'gemini'
            ? 'Invalid JSON payload received. Expected an object.'
            : 'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.';
      await sendError(reply, 400, message);
      return;
    }
    if (options.refuseStreamOptions === true && provider === 'openai' && isRecord(body) && 'stream_options' in body) {
      await sendError(reply, 400, 'Unrecognized request argument supplied: stream_options');
      return;
    }

    const plan =
      gemini === undefined
        ? planFor(method, route, url, reply, isRecord(body) ? body : {})
        : method === 'POST'
          ? geminiPlan({ reply, body: isRecord(body) ? body : {}, ids, route: gemini })
          : undefined;
    if (plan === undefined) {
      await sendError(reply, 404, `Invalid URL (${method} ${path})`);
      return;
    }
    if (plan.kind === 'json') {
      const waitMs = reply.headersDelayMs + (route === '/models' ? 0 : generationMs(reply, reply.chunks.length));
      const headers = {
        ...providerHeaders(waitMs),
        ...limitHeaders(reply.status, reply.usage),
        'content-type': 'application/json',
        ...reply.headers,
      };
      await sendJson(res, reply.status, headers, plan.body, waitMs, signal);
      return;
    }
    // A stream's processing time is what passes before its headers.
    const headers: OutgoingHttpHeaders = {
      ...providerHeaders(reply.headersDelayMs),
      ...limitHeaders(reply.status, reply.usage),
    };
    headers['content-type'] =
      gemini === undefined ? 'text/event-stream; charset=utf-8' : geminiStreamContentType(gemini);
    headers['cache-control'] = 'no-cache';
    if (!(await pause(reply.headersDelayMs, signal))) return;
    await playStream(res, { ...headers, ...reply.headers }, plan, reply, signal, writeFrames);
  }

  function planFor(
    method: string,
    route: string,
    url: string,
    reply: ResolvedReply,
    body: Record<string, unknown>,
  ): ReplyPlan | undefined {
    const created = Math.floor(Date.now() / 1000);
    const ctx: OpenAIReplyContext = { reply, body, ids, created };
    if (method === 'GET' && route === '/models') return { kind: 'json', body: modelsListBody(created) };
    const stored = BACKGROUND_RESPONSE_ROUTE.exec(route);
    if (stored !== null) return backgroundPlan(background, method, stored[1] ?? '', stored[2] !== undefined, url);
    if (method !== 'POST') return undefined;
    switch (route) {
      case '/chat/completions':
        return chatCompletionPlan(ctx);
      case '/responses':
        return responsesPlan(ctx, background);
      case '/completions':
        return completionPlan(ctx);
      case '/embeddings':
        return embeddingsPlan(ctx);
      case '/messages':
        return messagesPlan(ctx);
    }
    return undefined;
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
      background.clear();
    },
    async close() {
      if (shutdown.signal.aborted) return;
      shutdown.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** `/responses/{id}` (poll, resume) and `/responses/{id}/cancel`, on the route without its `/v1`. */
const BACKGROUND_RESPONSE_ROUTE = /^\/responses\/([^/]+)(\/cancel)?$/;

/**
 * A stored background response's route: `GET /responses/{id}` its current state (JSON), or with
 * `?stream=true` its events after `starting_after`; `POST /responses/{id}/cancel` cancels it. `undefined` (a
 * 404) for an unknown id or another method.
 */
function backgroundPlan(
  background: BackgroundResponses,
  method: string,
  id: string,
  cancel: boolean,
  url: string,
): ReplyPlan | undefined {
  if (cancel) {
    const cancelled = method === 'POST' ? background.cancel(id) : undefined;
    return cancelled === undefined ? undefined : { kind: 'json', body: cancelled };
  }
  if (method !== 'GET') return undefined;
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  if (query.get('stream') !== 'true') {
    const state = background.poll(id);
    return state === undefined ? undefined : { kind: 'json', body: state };
  }
  const after = query.get('starting_after');
  const frames = background.resume(id, after === null ? undefined : Number(after));
  return frames === undefined
    ? undefined
    : { kind: 'stream', head: frames, content: [], tail: [], errorTail: () => [] };
}

/** The route the realistic profile knows a Gemini request by: its embedding methods, or generation. */
function geminiProfileRoute(route: GeminiRoute): string {
  return route.method.toLowerCase().includes('embed') ? '/gemini/embed' : '/gemini/generate';
}

/** A Gemini body as the realistic profile reads bodies: the path's model and stream flag added. */
function geminiProfileBody(route: GeminiRoute, body: unknown): Record<string, unknown> {
  return { ...(isRecord(body) ? body : {}), model: route.model, stream: route.method === 'streamGenerateContent' };
}

/** A Bedrock body as the realistic profile reads bodies: the path's model id and stream flag added. */
function bedrockProfileBody(route: BedrockRoute, body: unknown): Record<string, unknown> {
  return { ...(isRecord(body) ? body : {}), model: route.model, stream: route.action.endsWith('-stream') };
}

/** The whole request body, or `undefined` when it is larger than {@link MAX_BODY_BYTES}. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function parseJson(raw: Buffer | undefined): unknown {
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
