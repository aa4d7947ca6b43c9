import type { IdSource } from './ids.js';
import { responseModel, wantsStream } from './openai-replies.js';
import type { ReplyPlan } from './reply-playback.js';
import { DEFAULT_ANTHROPIC_MODEL, type ResolvedReply } from './scripted-reply.js';
import { sseFrame } from './sse-writer.js';

/** What an Anthropic reply is built from. */
export interface AnthropicReplyContext {
  reply: ResolvedReply;
  body: Record<string, unknown>;
  ids: IdSource;
}

/** Anthropic usage: `input_tokens` counts only the uncached, unwritten part of the prompt. */
function anthropicUsage(reply: ResolvedReply, outputTokens: number) {
  const { input, output, cachedInput, cacheWrite } = reply.usage;
  return {
    input_tokens: Math.max(0, input - cachedInput - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cachedInput,
    cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
    output_tokens: Math.min(outputTokens, output),
    service_tier: 'standard',
  };
}

function parsedArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

/** `POST /v1/messages`: a `message` object, or its event stream (`message_start` … `message_stop`). */
export function messagesPlan(ctx: AnthropicReplyContext): ReplyPlan {
  const { reply, body, ids } = ctx;
  const id = ids.next('msg_');
  const toolUseId = reply.toolCall ? ids.next('toolu_') : '';
  const model = responseModel(reply, body, DEFAULT_ANTHROPIC_MODEL);
  const stopReason = reply.toolCall ? 'tool_use' : 'end_turn';
  const hasText = reply.chunks.length > 0 || !reply.toolCall;
  const message = (content: unknown[], stop: string | null, outputTokens: number) => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: anthropicUsage(reply, outputTokens),
  });

  if (!wantsStream(body)) {
    const content: unknown[] = [];
    if (hasText) content.push({ type: 'text', text: reply.text });
    if (reply.toolCall) {
      content.push({
        type: 'tool_use',
        id: toolUseId,
        name: reply.toolCall.name,
        input: parsedArguments(reply.toolCall.arguments),
      });
    }
    return { kind: 'json', body: message(content, stopReason, reply.usage.output) };
  }

  const event = (type: string, fields: Record<string, unknown> = {}) => sseFrame({ type, ...fields }, type);
  const head = [event('message_start', { message: message([], null, 1) })];
  const content: string[][] = [];
  let index = 0;
  if (hasText) {
    head.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }), event('ping'));
    for (const text of reply.chunks)
      content.push([event('content_block_delta', { index, delta: { type: 'text_delta', text } })]);
  }
  const tail: string[] = [];
  if (reply.toolCall) {
    const opening = [
      ...(hasText ? [event('content_block_stop', { index: index++ })] : []),
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: toolUseId, name: reply.toolCall.name, input: {} },
      }),
      ...(hasText ? [] : [event('ping')]),
    ];
    const deltas = reply.toolArgumentChunks.map((partial_json) =>
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }),
    );
    if (deltas.length === 0) content.push(opening);
    deltas.forEach((delta, i) => {
      content.push(i === 0 ? [...opening, delta] : [delta]);
    });
  }
  tail.push(event('content_block_stop', { index }));
  const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = anthropicUsage(
    reply,
    reply.usage.output,
  );
  tail.push(
    event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      // Cumulative totals for the whole message, as the API sends them.
      usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens },
    }),
    event('message_stop'),
  );
  return {
    kind: 'stream',
    head,
    content,
    tail,
    errorTail: () => [sseFrame(anthropicErrorBody(529, undefined, undefined), 'error')],
  };
}

/**
 * Anthropic's error body for an HTTP status, with the error type the API documents for it. `message` replaces
 * the stock message; `requestId` is left out when undefined (in-stream error events carry none).
 */
export function anthropicErrorBody(status: number, message: string | undefined, requestId: string | undefined) {
  const [type, stockMessage] = anthropicErrorKind(status);
  return {
    type: 'error',
    error: { type, message: message ?? stockMessage },
    ...(requestId === undefined ? {} : { request_id: requestId }),
  };
}

function anthropicErrorKind(status: number): [type: string, message: string] {
  switch (status) {
    case 400:
      return ['invalid_request_error', 'Invalid request (simulated).'];
    case 401:
      return ['authentication_error', 'invalid x-api-key'];
    case 402:
      return ['billing_error', 'Your credit balance is too low to access the Anthropic API.'];
    case 403:
      return ['permission_error', 'Your API key does not have permission to use the specified resource.'];
    case 404:
      return ['not_found_error', 'Not found (simulated).'];
    case 413:
      return ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'];
    case 429:
      return ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (simulated).'];
    case 503:
    case 529:
      return ['overloaded_error', 'Overloaded'];
    case 504:
      return ['timeout_error', 'Request timed out (simulated).'];
  }
  if (status >= 500) return ['api_error', 'Internal server error'];
  return ['invalid_request_error', `Request failed with status ${status} (simulated).`];
}

/** The headers the Anthropic API sends with every response. */
export function anthropicHeaders(requestId: string): Record<string, string> {
  return { 'request-id': requestId };
}
