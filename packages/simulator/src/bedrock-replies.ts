import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EVENT_STREAM_CONTENT_TYPE, eventMessage, exceptionMessage, writeMessages } from './bedrock-event-stream.js';
import type { IdSource } from './ids.js';
import { generationMs, pause, playStream, type StreamPlan, sendJson } from './reply-playback.js';
import type { ResolvedReply } from './scripted-reply.js';

/** A Bedrock Runtime request path: `/model/{modelId}/{action}`. */
export interface BedrockRoute {
  /** The model id, decoded (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`). */
  model: string;
  action: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';
}

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)\/?$/;

/** The Bedrock route of a path, or `undefined` when it is not one. */
export function bedrockRoute(path: string): BedrockRoute | undefined {
  const [, encoded, action] = PATH.exec(path) ?? [];
  if (encoded === undefined || action === undefined) return undefined;
  try {
    return { model: decodeURIComponent(encoded), action: action as BedrockRoute['action'] };
  } catch {
    return undefined;
  }
}

/** What a Bedrock reply is built from. */
export interface BedrockReplyContext {
  route: BedrockRoute;
  reply: ResolvedReply;
  /** The parsed JSON body; `undefined` when it was not JSON. */
  body: unknown;
  /** `undefined` when the body was too large to read. */
  rawBody: Buffer | undefined;
  ids: IdSource;
  requestId: string;
  signal: AbortSignal;
}

/** A stream as event-stream messages, in the parts the reply's timing and faults act on. */
type BinaryStreamPlan = StreamPlan<Uint8Array>;

/** How Bedrock ends a stream that fails midway, whatever was sent before: one exception message. */
function streamFailure(): Uint8Array[] {
  return [exceptionMessage('modelStreamErrorException', 'The model stream failed (simulated).')];
}

/**
 * Answers a Bedrock Runtime request as the service does: `converse` and `invoke` as JSON, `converse-stream` and
 * `invoke-with-response-stream` as AWS event streams (`application/vnd.amazon.eventstream`, binary messages
 * encoded with the AWS codec). Errors carry the AWS error type in `x-amzn-errortype` and a `{"message"}` body.
 * `invoke` bodies are Anthropic's Messages format for Anthropic models (`anthropic.` in the model id), else a
 * Llama-style `{ generation, prompt_token_count, generation_token_count }`. Signatures are not checked.
 */
export async function answerBedrock(res: ServerResponse, ctx: BedrockReplyContext): Promise<void> {
  const { reply, route, signal, requestId } = ctx;
  if (ctx.rawBody === undefined) return sendBedrockError(res, ctx, 413);
  if (reply.status >= 400) return sendBedrockError(res, ctx, reply.status);
  if (ctx.rawBody.length > 0 && ctx.body === undefined) {
    return sendBedrockError(res, ctx, 400, 'Malformed input request, please reformat your input and try again.');
  }
  const baseHeaders = { 'x-amzn-requestid': requestId };
  if (route.action === 'converse' || route.action === 'invoke') {
    const waitMs = reply.headersDelayMs + generationMs(reply, reply.chunks.length);
    const anthropic = isAnthropic(route.model);
    const body = route.action === 'converse' ? converseBody(reply, waitMs) : invokeBody(ctx, anthropic);
    const headers = {
      ...baseHeaders,
      'content-type': 'application/json',
      ...(route.action === 'invoke' ? invocationHeaders(reply, waitMs) : {}),
      ...reply.headers,
    };
    await sendJson(res, 200, headers, body, waitMs, signal);
    return;
  }
  const plan = route.action === 'converse-stream' ? converseStreamPlan(reply) : invokeStreamPlan(ctx);
  const headers: OutgoingHttpHeaders = { ...baseHeaders, 'content-type': EVENT_STREAM_CONTENT_TYPE, ...reply.headers };
  if (!(await pause(reply.headersDelayMs, signal))) return;
  await playStream(res, headers, plan, reply, signal, writeMessages);
}

function isAnthropic(model: string): boolean {
  return /(^|[./])anthropic\./.test(model);
}

/**
 * Bedrock's `inputTokens` excludes cache reads and writes, as Anthropic's `input_tokens` does. Cache writes come
 * with `cacheDetails`, their split by TTL (the SDK's `CacheDetail[]`, 1h before 5m, only TTLs written to), as a
 * live Converse response with a cache write has it; without cache writes it is left out, as there.
 */
function converseUsage(reply: ResolvedReply) {
  const { input, output, cachedInput, cacheWrite } = reply.usage;
  const inputTokens = Math.max(0, input - cachedInput - cacheWrite);
  return {
    inputTokens,
    outputTokens: output,
    totalTokens: inputTokens + output + cachedInput + cacheWrite,
    ...(cachedInput > 0 ? { cacheReadInputTokens: cachedInput } : {}),
    ...(cacheWrite > 0 ? { cacheWriteInputTokens: cacheWrite, cacheDetails: cacheDetails(reply) } : {}),
  };
}

/** The reply's cache writes by TTL: `cacheWrite1h` of them for an hour, the rest for five minutes. */
function cacheWritesByTtl(reply: ResolvedReply): { oneHour: number; fiveMinutes: number } {
  const { cacheWrite, cacheWrite1h } = reply.usage;
  const oneHour = Math.min(Math.max(0, cacheWrite1h), cacheWrite);
  return { oneHour, fiveMinutes: cacheWrite - oneHour };
}

function cacheDetails(reply: ResolvedReply): { ttl: '1h' | '5m'; inputTokens: number }[] {
  const { oneHour, fiveMinutes } = cacheWritesByTtl(reply);
  return [
    ...(oneHour > 0 ? [{ ttl: '1h' as const, inputTokens: oneHour }] : []),
    ...(fiveMinutes > 0 ? [{ ttl: '5m' as const, inputTokens: fiveMinutes }] : []),
  ];
}

function parsedArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

function converseBody(reply: ResolvedReply, latencyMs: number) {
  const content: unknown[] = [];
  if (reply.chunks.length > 0 || !reply.toolCall) content.push({ text: reply.text });
  if (reply.toolCall) {
    content.push({
      toolUse: {
        toolUseId: 'tooluse_sim',
        name: reply.toolCall.name,
        input: parsedArguments(reply.toolCall.arguments),
      },
    });
  }
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: reply.toolCall ? 'tool_use' : 'end_turn',
    usage: converseUsage(reply),
    metrics: { latencyMs: Math.round(latencyMs) },
  };
}

function converseStreamPlan(reply: ResolvedReply): BinaryStreamPlan {
  const head = [eventMessage('messageStart', { role: 'assistant' })];
  const content: Uint8Array[][] = [];
  let index = 0;
  const hasText = reply.chunks.length > 0 || !reply.toolCall;
  if (hasText) {
    for (const text of reply.chunks) {
      content.push([eventMessage('contentBlockDelta', { contentBlockIndex: index, delta: { text } })]);
    }
  }
  if (reply.toolCall) {
    const opening = [
      ...(hasText ? [eventMessage('contentBlockStop', { contentBlockIndex: index++ })] : []),
      eventMessage('contentBlockStart', {
        contentBlockIndex: index,
        start: { toolUse: { toolUseId: 'tooluse_sim', name: reply.toolCall.name } },
      }),
    ];
    const deltas = reply.toolArgumentChunks.map((input) =>
      eventMessage('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input } } }),
    );
    if (deltas.length === 0) content.push(opening);
    deltas.forEach((delta, i) => {
      content.push(i === 0 ? [...opening, delta] : [delta]);
    });
  }
  const tail = [
    eventMessage('contentBlockStop', { contentBlockIndex: index }),
    eventMessage('messageStop', { stopReason: reply.toolCall ? 'tool_use' : 'end_turn' }),
    eventMessage('metadata', {
      usage: converseUsage(reply),
      metrics: { latencyMs: Math.round(generationMs(reply, reply.chunks.length)) },
    }),
  ];
  return { kind: 'stream', head, content, tail, errorTail: streamFailure };
}

/** Anthropic's usage object, as Anthropic models report it through `InvokeModel`. */
function anthropicUsage(reply: ResolvedReply, outputTokens: number) {
  const { input, cachedInput, cacheWrite } = reply.usage;
  const { oneHour, fiveMinutes } = cacheWritesByTtl(reply);
  return {
    input_tokens: Math.max(0, input - cachedInput - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cachedInput,
    // Anthropic's split of the writes by TTL; sent only with writes, so bodies without any stay as they were.
    ...(cacheWrite > 0
      ? { cache_creation: { ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: oneHour } }
      : {}),
    output_tokens: outputTokens,
  };
}

/** The model name an Anthropic model answers with on Bedrock: its id without the provider and version. */
function anthropicModelName(model: string): string {
  return model.replace(/^.*anthropic\./, '').replace(/-v\d+(:\d+)?$/, '');
}

function invokeBody(ctx: BedrockReplyContext, anthropic: boolean) {
  const { reply, route, ids } = ctx;
  if (!anthropic) {
    return {
      generation: reply.text,
      prompt_token_count: reply.usage.input,
      generation_token_count: reply.usage.output,
      stop_reason: 'stop',
    };
  }
  const content: unknown[] = [];
  if (reply.chunks.length > 0 || !reply.toolCall) content.push({ type: 'text', text: reply.text });
  if (reply.toolCall) {
    content.push({
      type: 'tool_use',
      id: ids.next('toolu_bdrk_'),
      name: reply.toolCall.name,
      input: parsedArguments(reply.toolCall.arguments),
    });
  }
  return {
    id: ids.next('msg_bdrk_'),
    type: 'message',
    role: 'assistant',
    model: anthropicModelName(route.model),
    content,
    stop_reason: reply.toolCall ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(reply, reply.usage.output),
  };
}

/** The token counts Bedrock sends in headers with every `InvokeModel` response. */
function invocationHeaders(reply: ResolvedReply, latencyMs: number): Record<string, string> {
  const { input, output, cachedInput, cacheWrite } = reply.usage;
  return {
    'x-amzn-bedrock-input-token-count': String(Math.max(0, input - cachedInput - cacheWrite)),
    'x-amzn-bedrock-output-token-count': String(output),
    'x-amzn-bedrock-invocation-latency': String(Math.round(latencyMs)),
  };
}

/** One `chunk` event: the model's own event as base64 JSON `bytes`. */
function chunk(event: unknown): Uint8Array {
  return eventMessage('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
}

function invokeStreamPlan(ctx: BedrockReplyContext): BinaryStreamPlan {
  const { reply, route, ids } = ctx;
  const { input, output, cachedInput, cacheWrite } = reply.usage;
  const metrics = {
    inputTokenCount: Math.max(0, input - cachedInput - cacheWrite),
    outputTokenCount: output,
    invocationLatency: Math.round(generationMs(reply, reply.chunks.length)),
    firstByteLatency: Math.round(reply.firstChunkDelayMs),
    ...(cachedInput > 0 ? { cacheReadInputTokenCount: cachedInput } : {}),
    ...(cacheWrite > 0 ? { cacheWriteInputTokenCount: cacheWrite } : {}),
  };
  if (!isAnthropic(route.model)) {
    const content = reply.chunks.map((generation) => [chunk({ generation, stop_reason: null })]);
    const tail = [
      chunk({
        generation: '',
        prompt_token_count: reply.usage.input,
        generation_token_count: reply.usage.output,
        stop_reason: 'stop',
        'amazon-bedrock-invocationMetrics': metrics,
      }),
    ];
    return { kind: 'stream', head: [], content, tail, errorTail: streamFailure };
  }
  const head = [
    chunk({
      type: 'message_start',
      message: {
        id: ids.next('msg_bdrk_'),
        type: 'message',
        role: 'assistant',
        model: anthropicModelName(route.model),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(reply, 1),
      },
    }),
    chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ];
  const content = reply.chunks.map((text) => [
    chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
  ]);
  const tail = [
    chunk({ type: 'content_block_stop', index: 0 }),
    chunk({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: output },
    }),
    chunk({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': metrics }),
  ];
  return { kind: 'stream', head, content, tail, errorTail: streamFailure };
}

/** The AWS error type Bedrock names for an HTTP status. */
function bedrockErrorType(status: number): string {
  switch (status) {
    case 400:
    case 413:
      return 'ValidationException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
      return 'ServiceUnavailableException';
  }
  return status >= 500 ? 'InternalServerException' : 'ValidationException';
}

function sendBedrockError(res: ServerResponse, ctx: BedrockReplyContext, status: number, message?: string) {
  const type = bedrockErrorType(status);
  const headers = {
    'content-type': 'application/json',
    'x-amzn-requestid': ctx.requestId,
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    ...ctx.reply.headers,
  };
  const body = { message: message ?? `${type} (simulated).` };
  return sendJson(res, status, headers, body, ctx.reply.headersDelayMs, ctx.signal);
}
