import { field } from '../json-shape.js';
import type { Usage } from '../record.js';
import { withServiceTier } from './openai-service-tier.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/**
 * Normalizes a Bedrock Converse `usage` object (a response's, or a stream's `metadata` event's). Bedrock's
 * `inputTokens` excludes cache reads and cache writes (`totalTokens` is the sum of all four), as Anthropic's
 * `input_tokens` does, so `input` is their sum. `cacheDetails` (`[{ ttl: '1h' | '5m', inputTokens }]`, the
 * SDK's `CacheDetail`) splits `cacheWriteInputTokens` by cache TTL: the `1h` part becomes `cacheWrite1h`, which
 * a price with a 1-hour write rate charges at that rate, as Anthropic's `cache_creation.ephemeral_1h_input_tokens`.
 * `undefined` unless input and output counts are known.
 *
 * @example
 * ```ts
 * bedrockUsage({ inputTokens: 2, outputTokens: 29, totalTokens: 1854, cacheWriteInputTokens: 1823 });
 * // { input: 1825, output: 29, cachedInput: 0, cacheWrite: 1823, reasoning: 0 }
 * bedrockUsage({
 *   inputTokens: 2, outputTokens: 5, totalTokens: 1329, cacheWriteInputTokens: 1322,
 *   cacheDetails: [{ ttl: '1h', inputTokens: 1000 }, { ttl: '5m', inputTokens: 322 }],
 * });
 * // { input: 1324, output: 5, cachedInput: 0, cacheWrite: 1322, reasoning: 0, cacheWrite1h: 1000 }
 * ```
 */
export function bedrockUsage(usage: unknown): Usage | undefined {
  const input = tokenCount(field(usage, 'inputTokens'));
  const output = tokenCount(field(usage, 'outputTokens'));
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = tokenCount(field(usage, 'cacheReadInputTokens')) ?? 0;
  const details = cacheWritesByTtl(field(usage, 'cacheDetails'));
  // The details break `cacheWriteInputTokens` down; the total stands in only if a body left it out.
  const cacheWrite = tokenCount(field(usage, 'cacheWriteInputTokens')) ?? details.total;
  const counted = usageFromCounts(input + cacheRead + cacheWrite, output, cacheRead, cacheWrite, 0);
  const cacheWrite1h = Math.min(details.oneHour, counted.cacheWrite);
  return cacheWrite1h > 0 ? { ...counted, cacheWrite1h } : counted;
}

/** The cache writes a Converse `cacheDetails` list reports: all of them, and those with the `1h` TTL. */
function cacheWritesByTtl(details: unknown): { total: number; oneHour: number } {
  let total = 0;
  let oneHour = 0;
  if (!Array.isArray(details)) return { total, oneHour };
  for (const detail of details) {
    const tokens = tokenCount(field(detail, 'inputTokens')) ?? 0;
    total += tokens;
    if (field(detail, 'ttl') === '1h') oneHour += tokens;
  }
  return { total, oneHour };
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
