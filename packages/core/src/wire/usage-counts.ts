import type { Usage } from '../record.js';

/**
 * A token count read from a provider's usage object, or `undefined` when the value is not one: providers and
 * OpenAI-compatible servers have been seen sending `null`, strings and floats, and a bogus count must not
 * reach a counter.
 */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A {@link Usage} from counts already read. Parts are capped by their wholes (cached and cache-written by
 * input, reasoning by output) so that a server reporting a part larger than its whole cannot make a derived
 * count (uncached input, visible output) negative.
 */
export function usageFromCounts(
  input: number,
  output: number,
  cachedInput: number,
  cacheWrite: number,
  reasoning: number,
): Usage {
  const cached = Math.min(cachedInput, input);
  return {
    input,
    output,
    cachedInput: cached,
    cacheWrite: Math.min(cacheWrite, input - cached),
    reasoning: Math.min(reasoning, output),
  };
}
