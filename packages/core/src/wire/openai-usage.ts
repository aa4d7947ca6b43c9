import { field, isRecord } from '../json-shape.js';
import type { ServerTool } from '../metric-contract.js';
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

/** Responses output item types that are server-side tool calls, with the `tool` they count as. */
const TOOL_CALL_ITEMS: ReadonlyMap<unknown, ServerTool> = new Map<unknown, ServerTool>([
  ['web_search_call', 'web_search'],
  ['file_search_call', 'file_search'],
  ['code_interpreter_call', 'code_execution'],
  ['image_generation_call', 'image_generation'],
]);

/**
 * A Responses API usage with the response's server-side tool calls added: OpenAI bills each `web_search_call`
 * output item as one search and each `file_search_call` as one file search call, apart from the tokens (what they
 * read is already in `input_tokens`); `code_interpreter_call` (billed per container) and `image_generation_call`
 * (billed as image tokens) are counted.
 */
export function withOpenAiToolCalls(usage: Usage | undefined, response: unknown): Usage | undefined {
  if (usage === undefined) return undefined;
  const output = field(response, 'output');
  if (!Array.isArray(output)) return usage;
  let calls: Partial<Record<ServerTool, number>> | undefined;
  const items = Math.min(output.length, MAX_OUTPUT_ITEMS);
  for (let i = 0; i < items; i++) {
    const tool = TOOL_CALL_ITEMS.get(field(output[i], 'type'));
    if (tool === undefined) continue;
    calls ??= {};
    calls[tool] = (calls[tool] ?? 0) + 1;
  }
  return calls === undefined ? usage : { ...usage, serverToolCalls: calls };
}
