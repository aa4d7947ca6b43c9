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
  return encoderFor(encodingForModel(model)).encode_ordinary(text).length;
}

/**
 * Usage counted locally, for a call whose provider reported none: `input` from the prompt text, `output` from
 * the output text.
 *
 * Only the text is counted. The few tokens a chat API adds per message (role markers, separators) and any
 * images, audio or tool definitions are not, since only the caller knows how the text was put together; the
 * counts are therefore a slight underestimate for chat calls. Cache and reasoning counts are unknowable
 * locally and are 0.
 */
export function estimateUsage(model: string, promptText: string, outputText: string): Usage {
  return {
    input: countTokens(promptText, model),
    output: countTokens(outputText, model),
    cachedInput: 0,
    cacheWrite: 0,
    reasoning: 0,
  };
}
