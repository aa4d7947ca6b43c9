import { field, isRecord, parseEventData, stringField } from '../json-shape.js';
import type { Usage } from '../record.js';
import { geminiUsage } from './gemini-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/**
 * Follows a Gemini `streamGenerateContent` stream, chunk by chunk: each chunk is a whole
 * `GenerateContentResponse` (an SSE event's data with `?alt=sse`, or an element of the JSON array without it).
 *
 * - Usage: every chunk's `usageMetadata` is the running total of the response so far, so the latest one that
 *   holds counts replaces what came before (never summed).
 * - Content: a chunk whose candidates carry a part with text (thoughts included: thinking is billed output and
 *   streams before the answer), a function call, inline data or executable code.
 * - Finished: every candidate seen has a `finishReason`, or the prompt was blocked (`promptFeedback.blockReason`,
 *   which ends the stream with no candidates). Any reason counts, `SAFETY`, `RECITATION` and `MAX_TOKENS`
 *   included: the provider ended the response itself and bills it, as OpenAI does with `content_filter`; such a
 *   call is not a transport error.
 * - Failed: a chunk that is an `error` object (the API sends one in the stream when it fails midway).
 */
export class GeminiStreamAccumulator implements StreamAccumulator {
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  /** Candidate index to whether it has finished. */
  readonly #candidates = new Map<number, boolean>();
  #usage: Usage | undefined;
  #model: string | undefined;
  #blocked = false;
  #failed = false;

  pushRaw(data: string): StreamEventKind {
    return this.push(parseEventData(data));
  }

  push(data: unknown): StreamEventKind {
    if (!isRecord(data)) return 'other';
    if (isRecord(data.error)) {
      this.#failed = true;
      return 'error';
    }
    this.#model = stringField(data, 'modelVersion') ?? this.#model;
    this.#usage = geminiUsage(data.usageMetadata) ?? this.#usage;
    if (stringField(field(data, 'promptFeedback'), 'blockReason') !== undefined) this.#blocked = true;
    const candidates = data.candidates;
    if (!Array.isArray(candidates)) return 'other';
    let content = false;
    // Indexed rather than `entries()`: no iterator and no pair allocated per candidate, on every chunk.
    for (let position = 0; position < candidates.length; position++) {
      const candidate: unknown = candidates[position];
      if (!isRecord(candidate)) continue;
      const index = typeof candidate.index === 'number' ? candidate.index : position;
      const finished = stringField(candidate, 'finishReason') !== undefined;
      this.#candidates.set(index, finished || this.#candidates.get(index) === true);
      if (this.#takeParts(field(candidate.content, 'parts'))) content = true;
    }
    return content ? 'content' : 'other';
  }

  summary(): StreamSummary {
    const output = this.#output;
    const candidates = [...this.#candidates.values()];
    return {
      usage: this.#usage,
      responseModel: this.#model,
      finished: this.#blocked || (candidates.length > 0 && candidates.every(Boolean)),
      failed: this.#failed,
      outputText: () => output.text(),
      outputLength: () => output.length,
    };
  }

  /** Keeps the output text of a candidate's parts; says whether any part was content. */
  #takeParts(parts: unknown): boolean {
    if (!Array.isArray(parts)) return false;
    let content = false;
    for (const part of parts) {
      if (!isRecord(part)) continue;
      const text = part.text;
      if (typeof text === 'string' && text !== '') {
        this.#output.add(text);
        content = true;
      }
      if (isRecord(part.functionCall)) {
        this.#output.add(stringField(part.functionCall, 'name'));
        this.#output.addJson(part.functionCall.args);
        content = true;
      }
      if (isRecord(part.executableCode)) {
        this.#output.add(part.executableCode.code);
        content = true;
      }
      if (isRecord(part.inlineData)) content = true;
    }
    return content;
  }
}
