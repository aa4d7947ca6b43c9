import { anthropicWireFormat, isAnthropicPath } from './anthropic.js';
import { openAiWireFormat } from './openai.js';
import type { WireFormat, WireFormatName } from './wire-format.js';

/** Every wire format, by name. */
export const wireFormats: Readonly<Record<WireFormatName, WireFormat>> = {
  openai: openAiWireFormat,
  anthropic: anthropicWireFormat,
};

/**
 * The wire format a request path speaks: Anthropic's `/v1/messages` (and `count_tokens`), else OpenAI's
 * when the path names one of its operations (chat, responses, embeddings, completions), else `undefined`.
 */
export function wireFormatForPath(path: string): WireFormat | undefined {
  if (isAnthropicPath(path)) return anthropicWireFormat;
  return openAiWireFormat.operationForPath(path) === 'other' ? undefined : openAiWireFormat;
}
