import { anthropicWireFormat, isAnthropicPath } from './anthropic.js';
import { bedrockWireFormat } from './bedrock.js';
import { geminiWireFormat, isGeminiPath } from './gemini.js';
import { isOllamaPath, ollamaWireFormat } from './ollama.js';
import { openAiWireFormat } from './openai.js';
import type { WireFormat, WireFormatName } from './wire-format.js';

/** Every wire format, by name. */
export const wireFormats: Readonly<Record<WireFormatName, WireFormat>> = {
  openai: openAiWireFormat,
  anthropic: anthropicWireFormat,
  gemini: geminiWireFormat,
  ollama: ollamaWireFormat,
  bedrock: bedrockWireFormat,
};

/**
 * The wire format a request path speaks: Anthropic's `/v1/messages` (and `count_tokens`), Gemini's
 * `…/models/{model}:{method}` (Gemini API and Vertex AI), Ollama's native `/api/chat` (`generate`, `embed`), else OpenAI's when the path names one of its
 * operations (chat, responses, embeddings, completions), else `undefined`.
 */
export function wireFormatForPath(path: string): WireFormat | undefined {
  if (isAnthropicPath(path)) return anthropicWireFormat;
  if (isGeminiPath(path)) return geminiWireFormat;
  if (isOllamaPath(path)) return ollamaWireFormat;
  return openAiWireFormat.operationForPath(path) === 'other' ? undefined : openAiWireFormat;
}
