import type { Usage } from '@llmeter/core';
import { isRecord } from '@llmeter/core/wire';

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The usage of an AI SDK language model call, normalized, from any model version's usage object; `undefined`
 * when it reports no token count at all (a stream cut before its `finish` part, a provider that sends none).
 *
 * - V3 (`ai` 6) and V4 (`ai` 7): `inputTokens: { total, noCache, cacheRead, cacheWrite }` and
 *   `outputTokens: { total, text, reasoning }`; a missing total is the sum of its parts.
 * - V2 (`ai` 5): plain numbers `inputTokens` (cached ones included), `outputTokens` (reasoning included),
 *   `cachedInputTokens` and `reasoningTokens`; V2 has no cache-write count.
 */
export function aiSdkUsage(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const { inputTokens, outputTokens } = usage;
  if (isRecord(inputTokens) || isRecord(outputTokens)) {
    const input = isRecord(inputTokens) ? inputTokens : {};
    const output = isRecord(outputTokens) ? outputTokens : {};
    const cachedInput = count(input.cacheRead) ?? 0;
    const cacheWrite = count(input.cacheWrite) ?? 0;
    const reasoning = count(output.reasoning) ?? 0;
    const noCache = count(input.noCache);
    const text = count(output.text);
    const inputTotal = count(input.total) ?? (noCache === undefined ? undefined : noCache + cachedInput + cacheWrite);
    const outputTotal = count(output.total) ?? (text === undefined ? undefined : text + reasoning);
    if (inputTotal === undefined && outputTotal === undefined) return undefined;
    return { input: inputTotal ?? 0, output: outputTotal ?? 0, cachedInput, cacheWrite, reasoning };
  }
  const input = count(inputTokens);
  const output = count(outputTokens);
  if (input === undefined && output === undefined) return undefined;
  return {
    input: input ?? 0,
    output: output ?? 0,
    cachedInput: count(usage.cachedInputTokens) ?? 0,
    cacheWrite: 0,
    reasoning: count(usage.reasoningTokens) ?? 0,
  };
}

/** The usage of an AI SDK embedding call (`{ tokens }`, every version), as input tokens. */
export function aiSdkEmbeddingUsage(usage: unknown): Usage | undefined {
  const tokens = isRecord(usage) ? count(usage.tokens) : undefined;
  return tokens === undefined ? undefined : { input: tokens, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}
