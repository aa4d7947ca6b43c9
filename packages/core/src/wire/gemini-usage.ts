import { field, isRecord } from '../json-shape.js';
import type { Usage } from '../record.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/**
 * Normalizes a Gemini `usageMetadata` (a generateContent response's, a stream chunk's, an embedding response's).
 *
 * - `input` = `promptTokenCount` (which already includes `cachedContentTokenCount`) + `toolUsePromptTokenCount`
 *   (the prompt of built-in tools such as Google Search, reported apart and billed as input);
 * - `cachedInput` = `cachedContentTokenCount`;
 * - `output` = `candidatesTokenCount` + `thoughtsTokenCount` (thinking is billed as output but reported apart);
 * - `reasoning` = `thoughtsTokenCount`.
 *
 * The API leaves out counts that are zero (proto3 JSON), so a missing count is 0. A usage object with no count at
 * all (Vertex AI's first stream chunk can carry only `trafficType`) tells nothing: `undefined`.
 */
export function geminiUsage(usageMetadata: unknown): Usage | undefined {
  if (!isRecord(usageMetadata)) return undefined;
  const prompt = tokenCount(usageMetadata.promptTokenCount);
  const candidates = tokenCount(usageMetadata.candidatesTokenCount);
  const thoughts = tokenCount(usageMetadata.thoughtsTokenCount);
  const toolUse = tokenCount(usageMetadata.toolUsePromptTokenCount);
  const cached = tokenCount(usageMetadata.cachedContentTokenCount);
  if (prompt === undefined && candidates === undefined && thoughts === undefined && toolUse === undefined) {
    return undefined;
  }
  const reasoning = thoughts ?? 0;
  return usageFromCounts((prompt ?? 0) + (toolUse ?? 0), (candidates ?? 0) + reasoning, cached ?? 0, 0, reasoning);
}

/**
 * The usage of an embedding response: the Gemini API's `usageMetadata.promptTokenCount` (newer embedding models
 * report it), else the sum of Vertex AI's per-input `statistics.token_count` (`predict`; the Gen AI SDK hands it
 * out as `embeddings[].statistics.tokenCount`). `undefined` when the response counts nothing (older Gemini API
 * embedding models).
 */
export function geminiEmbeddingUsage(body: unknown): Usage | undefined {
  const reported = geminiUsage(field(body, 'usageMetadata'));
  if (reported !== undefined) return { ...reported, output: 0, reasoning: 0 };
  const predictions = field(body, 'predictions');
  const statistics: unknown[] = [];
  if (Array.isArray(predictions)) {
    for (const prediction of predictions) statistics.push(field(field(prediction, 'embeddings'), 'statistics'));
  } else {
    const embeddings = field(body, 'embeddings');
    if (Array.isArray(embeddings)) for (const embedding of embeddings) statistics.push(field(embedding, 'statistics'));
  }
  let total = 0;
  let counted = false;
  for (const stats of statistics) {
    const count = tokenCount(field(stats, 'token_count')) ?? tokenCount(field(stats, 'tokenCount'));
    if (count === undefined) continue;
    total += count;
    counted = true;
  }
  return counted ? usageFromCounts(total, 0, 0, 0, 0) : undefined;
}
