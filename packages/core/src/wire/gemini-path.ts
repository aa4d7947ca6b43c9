import type { Operation } from '../record.js';
import { endpointPath } from './request-path.js';

/** What a Gemini API (or Vertex AI) request path names. */
export interface GeminiPathFacts {
  /**
   * The model, as the `model` label shows it: `gemini-2.5-flash` for `models/gemini-2.5-flash` and for Vertex AI's
   * `projects/{p}/locations/{l}/publishers/google/models/gemini-2.5-flash`; a tuned model or a Vertex AI endpoint
   * keeps its collection (`tunedModels/abc`, `endpoints/123`) so that it is not mistaken for a base model.
   */
  model: string;
  /** The method after the colon: `generateContent`, `streamGenerateContent`, `embedContent`, … */
  method: string;
}

/**
 * `…/{collection}/{id}:{method}`, where the collection is a model's (`models`, `tunedModels`) or a Vertex AI
 * endpoint's. The id may not contain `/` or `:`.
 */
const MODEL_METHOD = /\/(models|tunedModels|endpoints)\/([^/:]+):([A-Za-z]+)$/;

/**
 * Reads a Gemini request path: the Gemini API's `/v1beta/models/{model}:generateContent`, Vertex AI's
 * `/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:streamGenerateContent`, with or without a
 * front end's prefix (`/gemini/v1beta/…`) or a query string (`?alt=sse`, `?key=…`). `undefined` for a path of
 * another shape. A percent-encoded colon (`%3A`), as some HTTP clients send it, is read as a colon.
 */
export function geminiPathFacts(path: string): GeminiPathFacts | undefined {
  let endpoint = endpointPath(path);
  if (endpoint.includes('%')) {
    try {
      endpoint = decodeURIComponent(endpoint);
    } catch {
      return undefined;
    }
  }
  const match = MODEL_METHOD.exec(endpoint);
  if (match === null) return undefined;
  const [, collection, id, method] = match as unknown as [string, string, string, string];
  return { model: collection === 'models' ? id : `${collection}/${id}`, method };
}

/** Methods that generate content: `chat`, as OpenAI chat completions and Anthropic messages are. */
const CHAT_METHODS = new Set(['generateContent', 'streamGenerateContent']);
/** Methods that embed: the Gemini API's `embedContent` and `batchEmbedContents`. */
const EMBED_METHODS = new Set(['embedContent', 'batchEmbedContents']);

/**
 * The operation of a Gemini method. Vertex AI's `predict` serves both embedding models and others (Imagen), so
 * it counts as `embeddings` only for a model whose name says it embeds (`gemini-embedding-001`,
 * `text-embedding-005`, `multimodalembedding@001`).
 */
export function geminiOperation(facts: GeminiPathFacts): Operation {
  if (CHAT_METHODS.has(facts.method)) return 'chat';
  if (EMBED_METHODS.has(facts.method)) return 'embeddings';
  if (facts.method === 'predict' && facts.model.toLowerCase().includes('embedding')) return 'embeddings';
  return 'other';
}

/** Whether a Gemini method streams: `streamGenerateContent`, as SSE (`?alt=sse`) or as one JSON array. */
export function isGeminiStreamMethod(facts: GeminiPathFacts): boolean {
  return facts.method === 'streamGenerateContent';
}

/**
 * The model a Gemini SDK call names, reduced as {@link geminiPathFacts} reduces a path's: `models/gemini-2.5-pro`,
 * `publishers/google/models/gemini-2.5-pro` and the full Vertex AI resource name all give `gemini-2.5-pro`.
 */
export function geminiModelName(model: string): string {
  const trimmed = model.trim();
  const found = /(?:^|\/)(models|tunedModels|endpoints)\/([^/:]+)$/.exec(trimmed);
  if (found === null) return trimmed;
  const [, collection, id] = found as unknown as [string, string, string];
  return collection === 'models' ? id : `${collection}/${id}`;
}
