import { isRecord, parseEventData, stringField } from '../json-shape.js';
import type { Usage } from '../record.js';
import { ollamaUsage } from './ollama-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/**
 * Follows an Ollama native stream (`/api/chat`, `/api/generate`), one NDJSON line per event: text in
 * `message.content` / `message.thinking` (chat) or `response` / `thinking` (generate), tool calls in
 * `message.tool_calls`; the `done: true` line ends it with the counts. A line with `error` is a failure Ollama
 * reports mid-stream.
 */
export class OllamaStreamAccumulator implements StreamAccumulator {
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  #usage: Usage | undefined;
  #model: string | undefined;
  #finished = false;
  #failed = false;

  pushRaw(data: string): StreamEventKind {
    return this.push(parseEventData(data));
  }

  push(data: unknown): StreamEventKind {
    if (!isRecord(data)) return 'other';
    if (data.error !== undefined && data.error !== null) {
      this.#failed = true;
      return 'error';
    }
    this.#model = stringField(data, 'model') ?? this.#model;
    const message = isRecord(data.message) ? data.message : data;
    let content = false;
    for (const name of ['content', 'thinking', 'response'] as const) if (this.#text(message[name])) content = true;
    const toolCalls = message.tool_calls;
    if (Array.isArray(toolCalls) && toolCalls.length > 0) {
      this.#output.addJson(toolCalls);
      content = true;
    }
    if (data.done === true) {
      this.#finished = true;
      this.#usage = ollamaUsage(data) ?? this.#usage;
    }
    return content ? 'content' : 'other';
  }

  summary(): StreamSummary {
    const output = this.#output;
    return {
      usage: this.#usage,
      responseModel: this.#model,
      finished: this.#finished,
      failed: this.#failed,
      outputText: () => output.text(),
      outputLength: () => output.length,
    };
  }

  #text(value: unknown): boolean {
    if (typeof value !== 'string' || value === '') return false;
    this.#output.add(value);
    return true;
  }
}
