import type { BackgroundResponses } from './background-responses.js';
import { type OpenAIReplyContext, responseModel, wantsStream } from './openai-replies.js';
import type { ReplyPlan } from './reply-playback.js';
import type { ResolvedReply } from './scripted-reply.js';
import { sseFrame } from './sse-writer.js';

type Item = Record<string, unknown>;

function responsesUsage(reply: ResolvedReply) {
  const { input, output, cachedInput, reasoning } = reply.usage;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cachedInput },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

function outputText(text: string) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/**
 * `POST /v1/responses`: a `response` object, or its event stream (`response.created` … `response.completed`).
 * With `background: true` the response is stored in `background` to be polled, resumed and cancelled: the JSON
 * reply is the `queued` response (no usage yet, as from the real API), and a stream starts `queued`.
 */
export function responsesPlan(ctx: OpenAIReplyContext, background?: BackgroundResponses): ReplyPlan {
  const { reply, body, ids, created } = ctx;
  const id = ids.next(`resp_${background?.idTag ?? ''}`);
  const isBackground = body.background === true && background !== undefined;
  const messageId = reply.chunks.length > 0 || !reply.toolCall ? ids.next('msg_') : undefined;
  const callItemId = reply.toolCall ? ids.next('fc_') : '';
  const callId = reply.toolCall ? ids.next('call_') : '';
  const hasMessage = messageId !== undefined;
  const callIndex = hasMessage ? 1 : 0;

  const message = (status: string, text: string | undefined): Item => ({
    id: messageId,
    type: 'message',
    status,
    content: text === undefined ? [] : [outputText(text)],
    role: 'assistant',
  });
  const functionCall = (status: string, args: string): Item => ({
    id: callItemId,
    type: 'function_call',
    status,
    arguments: args,
    call_id: callId,
    name: reply.toolCall?.name,
  });
  const response = (status: string, output: Item[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    background: isBackground,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
    model: responseModel(reply, body),
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: {},
    ...extra,
  });
  const finalOutput: Item[] = [];
  if (hasMessage) finalOutput.push(message('completed', reply.text));
  if (reply.toolCall) finalOutput.push(functionCall('completed', reply.toolCall.arguments));
  const usage = reply.omitUsage ? {} : { usage: responsesUsage(reply) };
  const stored = {
    queued: response('queued', []),
    inProgress: response('in_progress', []),
    completed: response('completed', finalOutput, usage),
  };

  if (!wantsStream(body)) {
    if (!isBackground) return { kind: 'json', body: stored.completed };
    background?.add(id, { ...stored, events: [] });
    return { kind: 'json', body: stored.queued };
  }

  let sequence = 0;
  // A background stream's events are kept, to be replayed to a client that resumes it.
  const events: { sequence: number; frame: string }[] = [];
  const event = (type: string, fields: Record<string, unknown>): string => {
    const frame = sseFrame({ type, ...fields, sequence_number: sequence }, type);
    if (isBackground) events.push({ sequence, frame });
    sequence++;
    return frame;
  };
  const head = isBackground
    ? [
        event('response.created', { response: stored.queued }),
        event('response.queued', { response: stored.queued }),
        event('response.in_progress', { response: stored.inProgress }),
      ]
    : [
        event('response.created', { response: response('in_progress', []) }),
        event('response.in_progress', { response: response('in_progress', []) }),
      ];
  const content: string[][] = [];
  // Text so far, for the partial output a `response.failed` carries.
  const textAfter: string[] = [];
  let text = '';
  if (hasMessage) {
    const itemEvents = (index: number) => ({ item_id: messageId, output_index: 0, content_index: index });
    head.push(
      event('response.output_item.added', { output_index: 0, item: message('in_progress', undefined) }),
      event('response.content_part.added', { ...itemEvents(0), part: outputText('') }),
    );
    for (const delta of reply.chunks) {
      content.push([event('response.output_text.delta', { ...itemEvents(0), delta, logprobs: [] })]);
      text += delta;
      textAfter.push(text);
    }
  }
  const messageDone = hasMessage
    ? [
        event('response.output_text.done', {
          item_id: messageId,
          output_index: 0,
          content_index: 0,
          text,
          logprobs: [],
        }),
        event('response.content_part.done', {
          item_id: messageId,
          output_index: 0,
          content_index: 0,
          part: outputText(text),
        }),
        event('response.output_item.done', { output_index: 0, item: message('completed', text) }),
      ]
    : [];
  const tail: string[] = [];
  if (reply.toolCall) {
    const { arguments: args } = reply.toolCall;
    const added = [
      ...messageDone,
      event('response.output_item.added', { output_index: callIndex, item: functionCall('in_progress', '') }),
    ];
    const deltas = reply.toolArgumentChunks.map((delta) =>
      event('response.function_call_arguments.delta', { item_id: callItemId, output_index: callIndex, delta }),
    );
    if (deltas.length === 0) content.push(added);
    deltas.forEach((delta, i) => {
      content.push(i === 0 ? [...added, delta] : [delta]);
    });
    tail.push(
      event('response.function_call_arguments.done', {
        item_id: callItemId,
        output_index: callIndex,
        name: reply.toolCall.name,
        arguments: args,
      }),
      event('response.output_item.done', { output_index: callIndex, item: functionCall('completed', args) }),
    );
  } else {
    tail.push(...messageDone);
  }
  tail.push(event('response.completed', { response: stored.completed }));
  if (isBackground) background?.add(id, { ...stored, events });

  // The lifecycle events above took their sequence numbers in wire order; a failure after `sent` chunks
  // follows the head and those chunks' events.
  const sequenceAfter = (sent: number) =>
    head.length + content.slice(0, sent).reduce((count, group) => count + group.length, 0);
  const textChunks = reply.chunks.length;
  return {
    kind: 'stream',
    head,
    content,
    tail,
    errorTail: (sent) => {
      const partialMessage =
        sent > textChunks ? message('completed', text) : message('in_progress', textAfter[sent - 1] ?? '');
      const partial = hasMessage ? [partialMessage] : [];
      const failed = response('failed', partial, {
        error: { code: 'server_error', message: 'The server had an error while processing your request.' },
      });
      return [
        sseFrame(
          { type: 'response.failed', response: failed, sequence_number: sequenceAfter(sent) },
          'response.failed',
        ),
      ];
    },
  };
}
