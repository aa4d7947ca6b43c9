import type { Operation } from '../record.js';
import type { StreamUsageOption, WireFormat } from './wire-format.js';

/**
 * The option a front end adds to a request so that its stream reports usage, or `undefined` when there is
 * nothing to ask: the request is not a stream, its operation's streams always report usage (Anthropic, the
 * Responses API), or the caller already asked. Both front ends decide it here, so they ask for the same calls.
 *
 * @example
 * ```ts
 * import { openAiWireFormat, streamUsageToAsk } from '@llmeter/core/wire';
 * const params = { model: 'gpt-4o-mini', stream: true, messages: [] };
 * const option = streamUsageToAsk(openAiWireFormat, 'chat', params);
 * const sent = option ? option.ask(params) : params; // stream_options: { include_usage: true }
 * ```
 */
export function streamUsageToAsk(
  format: WireFormat,
  operation: Operation,
  body: unknown,
): StreamUsageOption | undefined {
  const option = format.streamUsageOption;
  if (option === undefined || !option.operations.has(operation)) return undefined;
  if (!format.readRequest(body).stream || option.asked(body)) return undefined;
  return option;
}
