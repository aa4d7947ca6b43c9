import type { Operation } from '../record.js';
import { field, stringField } from './json-shape.js';
import { openAiRequestText } from './openai-request-text.js';
import { OpenAiStreamAccumulator } from './openai-stream.js';
import { openAiStreamUsage } from './openai-stream-usage.js';
import { openAiUsage } from './openai-usage.js';
import { readRequestFacts } from './request-facts.js';
import { endpointPath } from './request-path.js';
import type { WireFormat } from './wire-format.js';

/**
 * The operation an OpenAI (or OpenAI-compatible, or Azure OpenAI) request path names, by its last segments:
 * `/v1/chat/completions`, `/chat/completions` and `/openai/deployments/X/chat/completions` are all `chat`.
 * Longer paths (`/v1/responses/{id}`, `/v1/chat/completions/{id}`) retrieve stored objects: `other`.
 */
function operationForPath(path: string): Operation {
  const endpoint = endpointPath(path);
  if (endpoint.endsWith('/chat/completions')) return 'chat';
  if (endpoint.endsWith('/completions')) return 'text_completion';
  if (endpoint.endsWith('/responses')) return 'responses';
  if (endpoint.endsWith('/embeddings')) return 'embeddings';
  return 'other';
}

/**
 * The OpenAI wire format: Chat Completions, Responses, Embeddings and legacy Completions, as spoken by OpenAI,
 * Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp, OpenRouter…).
 *
 * Usage is normalized so that `input` includes cached (and cache-written) tokens and `output` includes
 * reasoning tokens, which is how OpenAI itself counts them. Chat and legacy Completions streams report usage only
 * when asked ({@link openAiStreamUsage}).
 */
export const openAiWireFormat: WireFormat = {
  name: 'openai',
  operationForPath,
  readRequest: readRequestFacts,
  streamUsageOption: openAiStreamUsage,
  parseResponse(operation, body) {
    return { usage: openAiUsage(field(body, 'usage'), operation), responseModel: stringField(body, 'model') };
  },
  createStreamAccumulator(operation) {
    return new OpenAiStreamAccumulator(operation);
  },
  requestText: openAiRequestText,
};
