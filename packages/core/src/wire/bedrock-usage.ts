import { field } from '../json-shape.js';
import type { Usage } from '../record.js';
import { withServiceTier } from './openai-service-tier.js';
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
 * `usage` with the service tier a Bedrock response reports in its `serviceTier`: `{ type }` on a Converse response
 * and a `ConverseStream` `metadata` event, a plain string on the SDK's `InvokeModel*` output (the
 * `X-Amzn-Bedrock-Service-Tier` header). `flex`, `priority` and `reserved` are kept; `default` is the standard
 * price. The tier the response reports, not the one the request asked for, is what was billed; a tier with no
 * price of its own is charged the standard price and counted as such.
 *
 * @example
 * ```ts
 * const usage = { input: 13, output: 70, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
 * withBedrockServiceTier(usage, { serviceTier: { type: 'flex' } }); // { ...usage, serviceTier: 'flex' }
 * withBedrockServiceTier(usage, { serviceTier: 'default' }); // usage
 * ```
 */
export function withBedrockServiceTier(usage: Usage | undefined, container: unknown): Usage | undefined {
  const tier = field(container, 'serviceTier');
  return withServiceTier(usage, typeof tier === 'string' ? tier : field(tier, 'type'));
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
