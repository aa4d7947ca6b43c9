import { field, isRecord } from '../json-shape.js';
import type { Operation, Usage } from '../record.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/**
 * Normalizes an OpenAI usage object, of either shape:
 * - Chat Completions, legacy Completions, Embeddings: `prompt_tokens` (cached included), `completion_tokens`
 *   (reasoning included; absent for embeddings), `prompt_tokens_details.cached_tokens` /
 *   `.cache_write_tokens`, `completion_tokens_details.reasoning_tokens`;
 * - Responses: `input_tokens`, `output_tokens`, `input_tokens_details.cached_tokens` / `.cache_write_tokens`,
 *   `output_tokens_details.reasoning_tokens`.
 *
 * The shape is told by its fields rather than by the operation, since OpenAI-compatible servers and unknown
 * paths may send either. Returns `undefined` unless the input count (and, except for embeddings, the output
 * count) is a valid number: a half-read usage would be reported as if the provider had said it.
 */
export function openAiUsage(usage: unknown, operation: Operation): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const responsesShape = 'input_tokens' in usage || 'output_tokens' in usage;
  const input = tokenCount(responsesShape ? usage.input_tokens : usage.prompt_tokens);
  if (input === undefined) return undefined;
  let output = tokenCount(responsesShape ? usage.output_tokens : usage.completion_tokens);
  if (output === undefined) {
    if (operation !== 'embeddings') return undefined;
    output = 0;
  }
  const inputDetails = responsesShape ? usage.input_tokens_details : usage.prompt_tokens_details;
  const outputDetails = responsesShape ? usage.output_tokens_details : usage.completion_tokens_details;
  const counts = usageFromCounts(
    input,
    output,
    tokenCount(field(inputDetails, 'cached_tokens')) ?? 0,
    tokenCount(field(inputDetails, 'cache_write_tokens')) ?? 0,
    tokenCount(field(outputDetails, 'reasoning_tokens')) ?? 0,
  );
  // Audio tokens (gpt-4o-audio, gpt-realtime) are parts of input and output with prices of their own.
  const audioInput = Math.min(tokenCount(field(inputDetails, 'audio_tokens')) ?? 0, counts.input);
  const audioOutput = Math.min(tokenCount(field(outputDetails, 'audio_tokens')) ?? 0, counts.output);
  if (audioInput > 0) counts.audioInput = audioInput;
  if (audioOutput > 0) counts.audioOutput = audioOutput;
  return counts;
}

/** At most this many Responses `output` items are looked through for billed tool calls. */
const MAX_OUTPUT_ITEMS = 4096;

/**
 * A Responses API usage with the response's web searches added: OpenAI bills each `web_search_call` output
 * item as one tool call, apart from the tokens (the search results read are already in `input_tokens`).
 */
export function withOpenAiToolCalls(usage: Usage | undefined, response: unknown): Usage | undefined {
  if (usage === undefined) return undefined;
  const output = field(response, 'output');
  if (!Array.isArray(output)) return usage;
  let webSearches = 0;
  const items = Math.min(output.length, MAX_OUTPUT_ITEMS);
  for (let i = 0; i < items; i++) if (field(output[i], 'type') === 'web_search_call') webSearches++;
  return webSearches === 0 ? usage : { ...usage, serverToolCalls: { web_search: webSearches } };
}
