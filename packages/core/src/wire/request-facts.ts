import { isRecord } from '../json-shape.js';
import type { RequestFacts } from './wire-format.js';

/**
 * The model and stream flag of a request body: both the OpenAI and the Anthropic APIs name them as the top-level
 * `model` (a string) and `stream` (`true` for SSE). Never throws: a body that is not a JSON object, or a field
 * of another type (or a throwing getter on SDK params), names no model and no stream.
 */
export function readRequestFacts(body: unknown): RequestFacts {
  try {
    if (!isRecord(body)) return { model: '', stream: false };
    const model = body.model;
    return { model: typeof model === 'string' ? model : '', stream: body.stream === true };
  } catch {
    return { model: '', stream: false };
  }
}
