import { isRecord, stringField } from '../json-shape.js';
import type { Operation } from '../record.js';
import { OllamaStreamAccumulator } from './ollama-stream.js';
import { ollamaUsage } from './ollama-usage.js';
import { openAiRequestText } from './openai-request-text.js';
import { endpointPath } from './request-path.js';
import type { RequestFacts, ResponseSummary, WireFormat } from './wire-format.js';

/** Ollama's native endpoints, by the operation they are. (Its `/v1/…` OpenAI-compatible API speaks `openai`.) */
const OLLAMA_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['/api/chat', 'chat'],
  ['/api/generate', 'text_completion'],
  ['/api/embed', 'embeddings'],
  ['/api/embeddings', 'embeddings'],
]);

function ollamaOperation(path: string): Operation | undefined {
  const endpoint = endpointPath(path);
  for (const [suffix, operation] of OLLAMA_OPERATIONS) if (endpoint.endsWith(suffix)) return operation;
  return undefined;
}

/** Whether a path is one of Ollama's native model endpoints (`/api/chat`, `/api/generate`, `/api/embed`). */
export function isOllamaPath(path: string): boolean {
  return ollamaOperation(path) !== undefined;
}

/**
 * Ollama streams unless the body says `"stream": false` (the opposite of OpenAI's default); embeddings never do.
 */
function readRequest(body: unknown, path?: string): RequestFacts {
  try {
    if (!isRecord(body)) return { model: '', stream: false };
    const model = typeof body.model === 'string' ? body.model : '';
    const embeds = path !== undefined && ollamaOperation(path) === 'embeddings';
    return { model, stream: !embeds && body.stream !== false };
  } catch {
    return { model: '', stream: false };
  }
}

function parseResponse(operation: Operation, body: unknown): ResponseSummary {
  return {
    usage: ollamaUsage(body, operation === 'embeddings'),
    responseModel: isRecord(body) ? stringField(body, 'model') : undefined,
  };
}

/**
 * Ollama's native API (`http://localhost:11434`): `/api/chat` (`chat`), `/api/generate` (`text_completion`),
 * `/api/embed` and the older `/api/embeddings` (`embeddings`). Streams are NDJSON (`application/x-ndjson`), one
 * JSON object a line, on by default; the last line (`done: true`), like a whole JSON reply, carries the counts:
 * `prompt_eval_count` as input, `eval_count` as output ({@link ollamaUsage}). Every stream reports them, so there
 * is nothing to ask for. Prompts are read as OpenAI's (`messages`, `prompt`, `input`) for local counts.
 *
 * @example
 * ```ts
 * import { ollamaWireFormat } from '@llmeter/core/wire';
 * ollamaWireFormat.readRequest({ model: 'llama3', messages: [] }, '/api/chat'); // { model: 'llama3', stream: true }
 * ```
 */
export const ollamaWireFormat: WireFormat = {
  name: 'ollama',
  operationForPath: (path) => ollamaOperation(path) ?? 'other',
  readRequest,
  streamUsageOption: undefined,
  // Ollama reads the body as JSON whatever it is labelled, and its clients label it loosely (`text/plain`, or
  // nothing: Ollama's own Python client, curl's `-d`).
  requestBodyIsJson: true,
  parseResponse,
  createStreamAccumulator() {
    return new OllamaStreamAccumulator();
  },
  requestText(operation, body) {
    return openAiRequestText(operation, body);
  },
};
