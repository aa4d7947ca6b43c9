import type { Usage } from '../record.js';
import { encoderFor } from './encoders.js';
import { encodingForModel } from './encoding-for-model.js';

/**
 * The number of tokens `text` encodes to for `model` (see {@link encodingForModel}; approximate for models
 * outside OpenAI's families).
 *
 * Special-token strings such as `<|endoftext|>` are counted as the ordinary text they are in a prompt or
 * completion, never rejected. The first call for an encoding loads it, which takes a few hundred milliseconds.
 */
export function countTokens(text: string, model: string): number {
  if (text === '') return 0;
  const encoder = encoderFor(encodingForModel(model));
  if (text.length <= SEGMENT) return encoder.encode_ordinary(text).length;
  // BPE is quadratic in the length of a run without spaces (64k characters of one run take seconds), so long
  // text is counted in segments cut before a space: the tokenizer starts a word at its leading space, so
  // ordinary text counts the same, and a pathological run costs linear time.
  let count = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + SEGMENT, text.length);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space;
    }
    count += encoder.encode_ordinary(text.slice(start, end)).length;
    start = end;
  }
  return count;
}

const SEGMENT = 1024;

/**
 * Usage counted locally, for a call whose provider reported none: `input` from the prompt text, `output` from
 * the output text. When only a sample of the output was kept, `outputLength` is the whole output's length in
 * characters and the sample's count is scaled up to it.
 *
 * Only the text is counted. The few tokens a chat API adds per message (role markers, separators) and any
 * images, audio or tool definitions are not, since only the caller knows how the text was put together; the
 * counts are therefore a slight underestimate for chat calls. Cache and reasoning counts are unknowable
 * locally and are 0.
 */
export function estimateUsage(
  model: string,
  promptText: string,
  outputText: string,
  outputLength: number = outputText.length,
): Usage {
  const sampled = countTokens(outputText, model);
  const output =
    outputLength > outputText.length && outputText.length > 0
      ? Math.round((sampled * outputLength) / outputText.length)
      : sampled;
  return {
    input: countTokens(promptText, model),
    output,
    cachedInput: 0,
    cacheWrite: 0,
    reasoning: 0,
  };
}

/**
 * Loads the encoders for `models` now rather than at their first count, for a program that knows it will count
 * (the proxy in `passthrough` mode): building an encoder blocks for a few hundred milliseconds, better spent at
 * start-up than in the middle of traffic.
 */
export function preloadTokenizers(models: readonly string[]): void {
  for (const model of models) encoderFor(encodingForModel(model));
}
