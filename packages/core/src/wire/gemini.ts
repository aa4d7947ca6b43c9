import { field, isRecord, stringField } from '../json-shape.js';
import type { Operation } from '../record.js';
import { geminiModelName, geminiOperation, geminiPathFacts, isGeminiStreamMethod } from './gemini-path.js';
import { geminiRequestText } from './gemini-request-text.js';
import { GeminiStreamAccumulator } from './gemini-stream.js';
import { geminiEmbeddingUsage, geminiUsage } from './gemini-usage.js';
import type { RequestFacts, ResponseSummary, WireFormat } from './wire-format.js';

/**
 * Whether a path is a Gemini API or Vertex AI model method (`…/models/{model}:generateContent`,
 * `…/publishers/google/models/{model}:streamGenerateContent`, `:embedContent`, `:batchEmbedContents`,
 * `:countTokens`, `:predict`, …).
 */
export function isGeminiPath(path: string): boolean {
  return geminiPathFacts(path) !== undefined;
}

function operationForPath(path: string): Operation {
  const facts = geminiPathFacts(path);
  return facts === undefined ? 'other' : geminiOperation(facts);
}

/**
 * Gemini names its model in the path and streams by method (`:streamGenerateContent`), not in the body, so the
 * path decides both when there is one. Without a path (the Gen AI SDK's params), the params' `model` names the
 * model; whether the call streams is then the SDK method's to say.
 */
function readRequest(body: unknown, path?: string): RequestFacts {
  if (path !== undefined) {
    const facts = geminiPathFacts(path);
    if (facts !== undefined) return { model: facts.model, stream: isGeminiStreamMethod(facts) };
  }
  try {
    const model = field(body, 'model');
    return { model: typeof model === 'string' ? geminiModelName(model) : '', stream: false };
  } catch {
    return { model: '', stream: false };
  }
}

function parseResponse(operation: Operation, body: unknown): ResponseSummary {
  if (operation === 'embeddings') return { usage: geminiEmbeddingUsage(body), responseModel: undefined };
  // A whole `streamGenerateContent` JSON array, read in one piece: its chunks, as a stream's.
  if (Array.isArray(body)) {
    const accumulator = new GeminiStreamAccumulator();
    for (const chunk of body) accumulator.push(chunk);
    const { usage, responseModel } = accumulator.summary();
    return { usage, responseModel };
  }
  if (!isRecord(body)) return { usage: undefined, responseModel: undefined };
  return { usage: geminiUsage(body.usageMetadata), responseModel: stringField(body, 'modelVersion') };
}

/**
 * The Gemini wire format, as the Gemini API (`generativelanguage.googleapis.com`) and Vertex AI
 * (`aiplatform.googleapis.com`) speak it: `generateContent` (`chat`), `streamGenerateContent` (a `chat` stream,
 * as SSE with `?alt=sse` or, by default, as one JSON array flushed chunk by chunk: split it with
 * {@link JsonArrayStreamParser} and feed each element to the accumulator's `pushRaw`), `embedContent` /
 * `batchEmbedContents` (and Vertex AI's `predict` for embedding models) as `embeddings`.
 *
 * The model comes from the path; the response's `modelVersion` is the response model. Usage comes from
 * `usageMetadata` (see {@link geminiUsage}); streams always report it, so there is nothing to ask for.
 *
 * @example
 * ```ts
 * import { geminiWireFormat } from '@llmeter/core/wire';
 * const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
 * geminiWireFormat.readRequest({ contents: [] }, path); // { model: 'gemini-2.5-flash', stream: true }
 * ```
 */
export const geminiWireFormat: WireFormat = {
  name: 'gemini',
  operationForPath,
  readRequest,
  streamUsageOption: undefined,
  parseResponse,
  createStreamAccumulator() {
    return new GeminiStreamAccumulator();
  },
  requestText: geminiRequestText,
};
