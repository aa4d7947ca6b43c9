import { field, stringField } from '../json-shape.js';
import type { Operation } from '../record.js';
import { openAiRequestText } from './openai-request-text.js';
import { openAiResponseState, responseIdOfPath } from './openai-response-state.js';
import { withServiceTier } from './openai-service-tier.js';
import { OpenAiStreamAccumulator } from './openai-stream.js';
import { openAiStreamUsage } from './openai-stream-usage.js';
import { openAiUsage, withOpenAiToolCalls } from './openai-usage.js';
import { readRequestFacts } from './request-facts.js';
import { endpointPath } from './request-path.js';
import type { ResponseSummary, WireFormat } from './wire-format.js';

/**
 * The operation an OpenAI (or OpenAI-compatible, or Azure OpenAI) request path names, by its last segments:
 * `/v1/chat/completions`, `/chat/completions` and `/openai/deployments/X/chat/completions` are all `chat`.
 * A response's own paths (`/v1/responses/{id}`: poll or resume; `/v1/responses/{id}/cancel`) are `responses`:
 * a background response's usage arrives there. `/v1/responses/compact` is `responses` too: a compaction pass is a
 * billed model call whose `usage` has the Responses shape, priced like a Responses call of its model. Other
 * longer paths (`/v1/chat/completions/{id}`, `/v1/responses/{id}/input_items`) retrieve stored objects, and
 * `/v1/responses/input_tokens` counts tokens for free: `other`.
 */
function operationForPath(path: string): Operation {
  const endpoint = endpointPath(path);
  if (endpoint.endsWith('/chat/completions')) return 'chat';
  if (endpoint.endsWith('/completions')) return 'text_completion';
  if (endpoint.endsWith('/responses') || endpoint.endsWith('/responses/compact')) return 'responses';
  if (responseIdOfPath(endpoint) !== undefined) return 'responses';
  if (endpoint.endsWith('/embeddings')) return 'embeddings';
  return 'other';
}

/** Azure OpenAI's `/openai/deployments/{deployment}/…` (a front end's prefix before it allowed). */
const AZURE_DEPLOYMENT = /\/openai\/deployments\/([^/]+)\//;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
  readRequest(body, path) {
    const facts = readRequestFacts(body);
    if (facts.model !== '' || path === undefined) return facts;
    // Azure OpenAI names a deployment in the path and no model in the body: the deployment stands for the model
    // (the response's `model` prices the call).
    const deployment = AZURE_DEPLOYMENT.exec(endpointPath(path))?.[1];
    return deployment === undefined ? facts : { ...facts, model: safeDecode(deployment) };
  },
  streamUsageOption: openAiStreamUsage,
  parseResponse(operation, body) {
    const summary: ResponseSummary = {
      usage: withServiceTier(
        withOpenAiToolCalls(openAiUsage(field(body, 'usage'), operation), body),
        field(body, 'service_tier'),
      ),
      responseModel: stringField(body, 'model'),
    };
    if (operation === 'responses') summary.responseState = openAiResponseState(body);
    return summary;
  },
  createStreamAccumulator(operation) {
    return new OpenAiStreamAccumulator(operation);
  },
  requestText: openAiRequestText,
};
