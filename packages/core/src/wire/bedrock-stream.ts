import { field, isRecord, parseEventData, stringField } from '../json-shape.js';
import type { Usage } from '../record.js';
import { bedrockUsage, withBedrockServiceTier } from './bedrock-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/** The exception events a `ConverseStream` may end with instead of `messageStop` and `metadata`. */
const EXCEPTION_EVENTS = new Set([
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
]);

/**
 * Follows a Bedrock `ConverseStream` stream, event by event. An event is the SDK's union object (one member
 * named after the event: `{ contentBlockDelta: { delta: { text } } }`), or, from the wire, the event's payload
 * with its `:event-type` header as `eventName`.
 *
 * - Content: a `contentBlockDelta` carrying text, tool input or reasoning text (not empty), or redacted reasoning,
 *   and a `contentBlockStart` that opens a tool use.
 * - Finished: `messageStop` (the model ended its answer; the `metadata` event with usage follows it).
 * - Usage: the `metadata` event's `usage`, with its `serviceTier`.
 * - Failed: an exception event (`modelStreamErrorException`, `throttlingException`, …).
 */
export class BedrockConverseStreamAccumulator implements StreamAccumulator {
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  #usage: Usage | undefined;
  #finished = false;
  #failed = false;

  pushRaw(data: string, eventName?: string): StreamEventKind {
    return this.push(parseEventData(data), eventName);
  }

  push(data: unknown, eventName?: string): StreamEventKind {
    const event = eventName !== undefined && !(isRecord(data) && eventName in data) ? { [eventName]: data } : data;
    if (!isRecord(event)) return 'other';
    for (const name of Object.keys(event)) if (EXCEPTION_EVENTS.has(name)) this.#failed = true;
    if (this.#failed) return 'error';
    if (isRecord(event.metadata)) {
      this.#usage = withBedrockServiceTier(bedrockUsage(event.metadata.usage), event.metadata) ?? this.#usage;
      return 'other';
    }
    if (isRecord(event.messageStop)) {
      this.#finished = true;
      return 'other';
    }
    if (isRecord(event.contentBlockStart)) {
      const toolUse = field(event.contentBlockStart.start, 'toolUse');
      if (!isRecord(toolUse)) return 'other';
      this.#output.add(stringField(toolUse, 'name'));
      return 'content';
    }
    if (isRecord(event.contentBlockDelta)) return this.#takeDelta(event.contentBlockDelta.delta);
    return 'other';
  }

  summary(): StreamSummary {
    const output = this.#output;
    return {
      usage: this.#usage,
      finished: this.#finished,
      failed: this.#failed,
      outputText: () => output.text(),
      outputLength: () => output.length,
    };
  }

  /**
   * A delta is content when it carries something of the answer: text, tool input or reasoning text that is not
   * empty, or redacted reasoning. An empty delta (`{ text: '' }`, a tool's first `{ input: '' }`) and a reasoning
   * block's closing `signature` are not: no token came with them (as Anthropic's own stream is read).
   */
  #takeDelta(delta: unknown): StreamEventKind {
    if (!isRecord(delta)) return 'other';
    const text =
      stringField(delta, 'text') ?? stringField(delta.toolUse, 'input') ?? stringField(delta.reasoningContent, 'text');
    if (text === undefined) return field(delta.reasoningContent, 'redactedContent') === undefined ? 'other' : 'content';
    this.#output.add(text);
    return 'content';
  }
}
