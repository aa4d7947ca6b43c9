import { isRecord } from '../json-shape.js';
import type { Usage } from '../record.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/**
 * Usage from an Ollama native reply (`/api/chat`, `/api/generate`: the JSON body, or a stream's `done: true`
 * line; `/api/embed`): `prompt_eval_count` is the input, `eval_count` the output (thinking included: Ollama counts
 * every generated token). `undefined` unless both are valid counts (an embedding has no `eval_count`: its output
 * is 0): a half-read usage would be reported as if Ollama had said it.
 */
export function ollamaUsage(body: unknown, embedding = false): Usage | undefined {
  if (!isRecord(body)) return undefined;
  const input = tokenCount(body.prompt_eval_count);
  const output = embedding ? 0 : tokenCount(body.eval_count);
  if (input === undefined || output === undefined) return undefined;
  return usageFromCounts(input, output, 0, 0, 0);
}
