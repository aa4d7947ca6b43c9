import type { Usage } from '../record.js';
import { field } from './json-shape.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/** The token counts of an Anthropic usage object, each `undefined` when absent or not a valid count. */
export interface AnthropicCounts {
  input: number | undefined;
  cacheRead: number | undefined;
  cacheCreation: number | undefined;
  output: number | undefined;
  thinking: number | undefined;
}

/** Reads the counts of an Anthropic `usage` object (a message's, or a stream's `message_delta`'s). */
export function anthropicCounts(usage: unknown): AnthropicCounts {
  return {
    input: tokenCount(field(usage, 'input_tokens')),
    cacheRead: tokenCount(field(usage, 'cache_read_input_tokens')),
    cacheCreation: tokenCount(field(usage, 'cache_creation_input_tokens')),
    output: tokenCount(field(usage, 'output_tokens')),
    thinking: tokenCount(field(field(usage, 'output_tokens_details'), 'thinking_tokens')),
  };
}

/**
 * Normalizes Anthropic counts. Anthropic's `input_tokens` excludes cache reads and cache writes, so `input`
 * is their sum; `output_tokens` includes thinking, reported (by newer APIs) in
 * `output_tokens_details.thinking_tokens`, else 0. `undefined` unless input and output counts are known.
 */
export function anthropicUsage(counts: AnthropicCounts): Usage | undefined {
  const { input, output } = counts;
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = counts.cacheRead ?? 0;
  const cacheCreation = counts.cacheCreation ?? 0;
  return usageFromCounts(input + cacheRead + cacheCreation, output, cacheRead, cacheCreation, counts.thinking ?? 0);
}
