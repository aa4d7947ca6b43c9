import { isPlainText, isRecord, parseEventData, stringField } from '../json-shape.js';
import type { Usage } from '../record.js';
import { type AnthropicCounts, anthropicCounts, anthropicUsage, isCodeExecutionBlock } from './anthropic-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/** `content_block_delta` delta types carrying generated text, with the field that holds it. */
const TEXT_DELTA_FIELDS: Readonly<Record<string, string>> = {
  text_delta: 'text',
  input_json_delta: 'partial_json',
  // Thinking is generated output, billed as output, and streams before the answer: it starts the first token.
  thinking_delta: 'thinking',
};

/**
 * The text of a plain Anthropic text delta: a `content_block_delta` event (its SSE event name, when given, the
 * same) whose delta is only `type: "text_delta"` and a non-empty `text` without a quote, a backslash or a control
 * character (so its JSON string is the text itself); else `undefined`. The accumulator takes such an event only
 * for its text: the proxy's content lane reads the events like one as bytes, without `JSON.parse`.
 *
 * @example
 * ```ts
 * const delta = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } };
 * plainTextDelta(delta, 'content_block_delta'); // 'Hi'
 * plainTextDelta({ ...delta, delta: { type: 'text_delta', text: 'a"b' } }); // undefined
 * ```
 */
export function plainTextDelta(event: unknown, eventName?: string): string | undefined {
  if (eventName !== undefined && eventName !== 'content_block_delta') return undefined;
  if (!isRecord(event) || event.type !== 'content_block_delta') return undefined;
  const delta = event.delta;
  if (!isRecord(delta) || delta.type !== 'text_delta' || Object.keys(delta).length !== 2) return undefined;
  const text = delta.text;
  return typeof text === 'string' && text !== '' && isPlainText(text) ? text : undefined;
}

/**
 * Follows an Anthropic Messages stream. Input and cache counts come from `message_start` (and from
 * `message_delta` when a newer API repeats them there); `message_delta.usage.output_tokens` is cumulative, so
 * the latest one wins. With compaction, `message_delta` carries the counts after compaction (overwriting
 * `message_start`'s cache reads) and `usage.iterations`, from which the billed totals are summed.
 */
export class AnthropicStreamAccumulator implements StreamAccumulator {
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  readonly #counts: AnthropicCounts = {
    input: undefined,
    cacheRead: undefined,
    cacheCreation: undefined,
    cacheCreation1h: undefined,
    output: undefined,
    thinking: undefined,
    webSearches: undefined,
    webFetches: undefined,
    iterations: undefined,
  };
  #model: string | undefined;
  #finished = false;
  #failed = false;

  pushRaw(data: string, eventName?: string): StreamEventKind {
    return this.push(parseEventData(data), eventName);
  }

  push(data: unknown, eventName?: string): StreamEventKind {
    const type = stringField(data, 'type') ?? eventName;
    if (type === 'error' || eventName === 'error') {
      this.#failed = true;
      return 'error';
    }
    if (!isRecord(data)) return 'other';
    switch (type) {
      case 'content_block_delta':
        return this.#delta(data.delta);
      case 'content_block_start':
        return this.#blockStart(data.content_block);
      case 'message_start': {
        const message = data.message;
        this.#model = stringField(message, 'model') ?? this.#model;
        this.#takeUsage(isRecord(message) ? message.usage : undefined);
        return 'other';
      }
      case 'message_delta':
        this.#takeUsage(data.usage);
        return 'other';
      case 'message_stop':
        this.#finished = true;
        return 'other';
      default:
        return 'other';
    }
  }

  summary(): StreamSummary {
    const output = this.#output;
    const usage: Usage | undefined = anthropicUsage(this.#counts);
    return {
      usage,
      responseModel: this.#model,
      finished: this.#finished,
      failed: this.#failed,
      outputText: () => output.text(),
      outputLength: () => output.length,
    };
  }

  /** Takes the counts a usage object has; fields it lacks (or has as `null`) keep their earlier values. */
  #takeUsage(usage: unknown): void {
    const next = anthropicCounts(usage);
    const counts = this.#counts;
    counts.input = next.input ?? counts.input;
    counts.cacheRead = next.cacheRead ?? counts.cacheRead;
    counts.cacheCreation = next.cacheCreation ?? counts.cacheCreation;
    counts.cacheCreation1h = next.cacheCreation1h ?? counts.cacheCreation1h;
    counts.output = next.output ?? counts.output;
    counts.thinking = next.thinking ?? counts.thinking;
    counts.webSearches = next.webSearches ?? counts.webSearches;
    counts.webFetches = next.webFetches ?? counts.webFetches;
    counts.iterations = next.iterations ?? counts.iterations;
    counts.serviceTier = next.serviceTier ?? counts.serviceTier;
  }

  #delta(delta: unknown): StreamEventKind {
    if (!isRecord(delta) || typeof delta.type !== 'string') return 'other';
    const textField = TEXT_DELTA_FIELDS[delta.type];
    if (textField === undefined) return 'other'; // signature_delta, citations_delta
    const text = delta[textField];
    if (typeof text !== 'string' || text === '') return 'other';
    this.#output.add(text);
    return 'content';
  }

  /**
   * A block's start is content when it already shows the model answering: a tool call (its name is chosen
   * before its input streams, as an OpenAI tool call's first delta is) or a text block with initial text.
   */
  #blockStart(block: unknown): StreamEventKind {
    if (!isRecord(block)) return 'other';
    if (block.type === 'tool_use') return 'content';
    if (isCodeExecutionBlock(block)) this.#counts.codeExecutions = (this.#counts.codeExecutions ?? 0) + 1;
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
      this.#output.add(block.text);
      return 'content';
    }
    return 'other';
  }
}
