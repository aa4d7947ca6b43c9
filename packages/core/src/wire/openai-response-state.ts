import { isRecord, stringField } from '../json-shape.js';
import { endpointPath } from './request-path.js';
import type { ResponseState } from './wire-format.js';

/**
 * The states in which an OpenAI response is done: it will not change again, and its usage (when it has any) is
 * final. `queued` and `in_progress` are the others.
 */
export const FINAL_RESPONSE_STATUSES: ReadonlySet<string> = new Set(['completed', 'incomplete', 'failed', 'cancelled']);

/** Whether a response's state is final ({@link FINAL_RESPONSE_STATUSES}). */
export function isFinalResponse(state: ResponseState): boolean {
  return FINAL_RESPONSE_STATUSES.has(state.status);
}

/**
 * The id, status and background flag of an OpenAI Responses API response object (a JSON body, or the `response`
 * of a stream event); `undefined` unless it has a string `id` and `status`. `previous` (an earlier event's) keeps
 * the background flag: later events of a stream need not repeat it.
 */
export function openAiResponseState(response: unknown, previous?: ResponseState): ResponseState | undefined {
  if (!isRecord(response)) return previous;
  const id = stringField(response, 'id');
  const status = stringField(response, 'status');
  if (id === undefined || status === undefined) return previous;
  const background = response.background === true || (previous?.id === id && previous.background);
  return { id, status, background, final: FINAL_RESPONSE_STATUSES.has(status) };
}

/**
 * The response id a Responses API path names: `/v1/responses/{id}` (retrieve, `?stream=true` to resume) and
 * `/v1/responses/{id}/cancel`; `undefined` for any other path. A query string is ignored.
 */
export function responseIdOfPath(path: string): string | undefined {
  const id = RESPONSE_PATH.exec(endpointPath(path))?.[1];
  return id === undefined || NOT_RESPONSE_IDS.has(id) ? undefined : id;
}

const RESPONSE_PATH = /\/responses\/([^/]+)(?:\/cancel)?$/;

/** `/v1/responses/…` endpoints that are not a response id: token counting and compaction. */
const NOT_RESPONSE_IDS: ReadonlySet<string> = new Set(['input_tokens', 'compact']);
