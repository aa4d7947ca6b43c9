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
 * - V2 (`ai` 5): plain numbers `inputTokens`, `outputTokens`, `cachedInputTokens` and `reasoningTokens`, whose
 *   meaning each provider chose (`providerMetadata`, the call's or its stream's `finish` part, tells which):
 *   `@ai-sdk/openai` 2 counts cached input in `inputTokens` and reasoning in `outputTokens`; `@ai-sdk/anthropic` 2
 *   counts neither cache reads nor writes in `inputTokens` (its `input_tokens`) and reports writes only as
 *   `providerMetadata.anthropic.cacheCreationInputTokens`; `@ai-sdk/google` 2 leaves thoughts out of
 *   `outputTokens` (its `candidatesTokenCount`).
 */
export function aiSdkUsage(usage: unknown, providerMetadata?: unknown): Usage | undefined {
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
  const cachedInput = count(usage.cachedInputTokens) ?? 0;
  const reasoning = count(usage.reasoningTokens) ?? 0;
  const anthropic = metadataOf(providerMetadata, 'anthropic');
  const cacheWrite = anthropic === undefined ? 0 : (count(anthropic.cacheCreationInputTokens) ?? 0);
  const thoughtsApart = metadataOf(providerMetadata, 'google') !== undefined;
  return {
    input: (input ?? 0) + (anthropic === undefined ? 0 : cachedInput + cacheWrite),
    output: (output ?? 0) + (thoughtsApart ? reasoning : 0),
    cachedInput,
    cacheWrite,
    reasoning,
  };
}

/** One provider's entry in an AI SDK result's `providerMetadata`, when there is one. */
function metadataOf(providerMetadata: unknown, provider: string): Record<string, unknown> | undefined {
  if (!isRecord(providerMetadata)) return undefined;
  const entry = providerMetadata[provider];
  return isRecord(entry) ? entry : undefined;
}

/** The usage of an AI SDK embedding call (`{ tokens }`, every version), as input tokens. */
export function aiSdkEmbeddingUsage(usage: unknown): Usage | undefined {
  const tokens = isRecord(usage) ? count(usage.tokens) : undefined;
  return tokens === undefined ? undefined : { input: tokens, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}
