import { field } from '../json-shape.js';
import type { Usage } from '../record.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/**
 * Normalizes a Bedrock Converse `usage` object (a response's, or a stream's `metadata` event's). Bedrock's
 * `inputTokens` excludes cache reads and cache writes (`totalTokens` is the sum of all four), as Anthropic's
 * `input_tokens` does, so `input` is their sum. `undefined` unless input and output counts are known.
 *
 * @example
 * ```ts
 * bedrockUsage({ inputTokens: 2, outputTokens: 29, totalTokens: 1854, cacheWriteInputTokens: 1823 });
 * // { input: 1825, output: 29, cachedInput: 0, cacheWrite: 1823, reasoning: 0 }
 * ```
 */
export function bedrockUsage(usage: unknown): Usage | undefined {
  const input = tokenCount(field(usage, 'inputTokens'));
  const output = tokenCount(field(usage, 'outputTokens'));
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = tokenCount(field(usage, 'cacheReadInputTokens')) ?? 0;
  const cacheWrite = tokenCount(field(usage, 'cacheWriteInputTokens')) ?? 0;
  return usageFromCounts(input + cacheRead + cacheWrite, output, cacheRead, cacheWrite, 0);
}

/**
 * Normalizes the `amazon-bedrock-invocationMetrics` Bedrock adds to the last chunk of an
 * `InvokeModelWithResponseStream` stream (`inputTokenCount`, `outputTokenCount`, and for models that cache,
 * `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`, which `inputTokenCount` excludes).
 */
export function bedrockInvocationUsage(metrics: unknown): Usage | undefined {
  const input = tokenCount(field(metrics, 'inputTokenCount'));
  const output = tokenCount(field(metrics, 'outputTokenCount'));
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = tokenCount(field(metrics, 'cacheReadInputTokenCount')) ?? 0;
  const cacheWrite = tokenCount(field(metrics, 'cacheWriteInputTokenCount')) ?? 0;
  return usageFromCounts(input + cacheRead + cacheWrite, output, cacheRead, cacheWrite, 0);
}
