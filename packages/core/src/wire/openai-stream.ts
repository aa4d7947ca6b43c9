import { field, isPlainText, isRecord, parseEventData, stringField } from '../json-shape.js';
import { emptyUsage, type Operation, type Usage } from '../record.js';
import { openAiResponseState } from './openai-response-state.js';
import { withServiceTier } from './openai-service-tier.js';
import { openAiUsage, withOpenAiToolCalls } from './openai-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { ResponseState, StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/**
 * Responses API events whose `delta` is output the model generated, so the first one marks time to first
 * token and their text feeds the local token estimate.
 *
 * Reasoning deltas (`reasoning_text`, `reasoning_summary_text`) count: they are generated tokens the caller
 * sees streaming, billed as output, and Anthropic's `thinking_delta` is treated the same way, so time to
 * first token means the same thing across providers. Tool inputs the model writes (function, custom tool,
 * MCP, code interpreter, shell command) count; tool results (`shell_call_output_content`) and lifecycle
 * events (`*.added`, `*.done`, `*.in_progress`) do not.
 */
const RESPONSES_TEXT_DELTAS: ReadonlySet<string> = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.mcp_call_arguments.delta',
  'response.code_interpreter_call_code.delta',
  'response.shell_call_command.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
  'response.audio.transcript.delta',
]);

/** Content without text to count: its delta is base64 audio. */
const RESPONSES_AUDIO_DELTA = 'response.audio.delta';

/**
 * Follows an OpenAI stream: Chat Completions chunks, legacy Completions chunks, or Responses API events.
 * Which one each event is comes from its shape (Responses events carry a string `type`, chunks do not), so a
 * stream on an unrecognized path is still followed.
 *
 * `finished` becomes true at `response.completed` / `response.incomplete`, and for chunk streams at
 * `data: [DONE]` or once every choice seen has a `finish_reason`: the SDKs swallow `[DONE]`, so an SDK front
 * end never shows it, and a stream whose choices all finished did end normally (a trailing `include_usage`
 * chunk may still follow).
 */
export class OpenAiStreamAccumulator implements StreamAccumulator {
  readonly #operation: Operation;
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  #usage: Usage | undefined;
  #model: string | undefined;
  #finished = false;
  #failed = false;
  /** The Responses API response the stream is about (its id, last status, background flag). */
  #state: ResponseState | undefined;
  /** Indexes of chat choices seen without a `finish_reason` yet. */
  readonly #openChoices = new Set<unknown>();
  /** The index last added to `#openChoices` (and not finished since). */
  #lastOpened: unknown;
  #anyChoiceFinished = false;
  /** The stream's first plain content chunk, whose like later chunks are read without a parse. */
  #template: ContentChunkTemplate | undefined;

  constructor(operation: Operation) {
    this.#operation = operation;
  }

  pushRaw(data: string, eventName?: string): StreamEventKind {
    if (data === '[DONE]') {
      this.#finished = true;
      return 'other';
    }
    const template = this.#template;
    if (template !== undefined && eventName === undefined) {
      const text = template.contentOf(data);
      if (text !== undefined) {
        // What `push` does with this chunk, parsed (see ContentChunkTemplate), without parsing it.
        this.#model = template.model ?? this.#model;
        this.#openChoices.add(template.index);
        this.#output.add(text);
        return 'content';
      }
    }
    const parsed = parseEventData(data);
    const kind = this.push(parsed, eventName);
    if (kind === 'content' && eventName === undefined && template === undefined) {
      this.#template = ContentChunkTemplate.of(data, parsed);
    }
    return kind;
  }

  push(data: unknown, eventName?: string): StreamEventKind {
    if (eventName === 'error') return this.#fail();
    if (!isRecord(data)) return 'other';
    return typeof data.type === 'string' ? this.#responsesEvent(data.type, data) : this.#chunk(data);
  }

  summary(): StreamSummary {
    const output = this.#output;
    return {
      usage: this.#usage,
      responseModel: this.#model,
      responseState: this.#state,
      finished: this.#finished,
      failed: this.#failed,
      outputText: () => output.text(),
      outputLength: () => output.length,
    };
  }

  #fail(): StreamEventKind {
    this.#failed = true;
    return 'error';
  }

  #responsesEvent(type: string, event: Record<string, unknown>): StreamEventKind {
    if (RESPONSES_TEXT_DELTAS.has(type)) {
      const delta = event.delta;
      if (typeof delta !== 'string' || delta === '') return 'other';
      this.#output.add(delta);
      return 'content';
    }
    switch (type) {
      case RESPONSES_AUDIO_DELTA:
        return typeof event.delta === 'string' && event.delta !== '' ? 'content' : 'other';
      case 'error':
        // Out of quota: the request was refused for billing, so nothing was billed (the `openai` SDK throws at
        // this event, before the `response.failed` with `"usage": null` that says so).
        if (errorCode(event) === 'insufficient_quota') this.#noCharge();
        return this.#fail();
      case 'response.failed':
        this.#takeResponse(event.response);
        // A response that failed with `"usage": null` before generating anything (insufficient quota, a refused
        // request) billed nothing: that is the provider's own report, not a gap for a local estimate to fill.
        if (field(event.response, 'usage') === null) this.#noCharge();
        return this.#fail();
      case 'response.completed':
      case 'response.incomplete':
        this.#takeResponse(event.response);
        this.#finished = true;
        return 'other';
      case 'response.created':
      case 'response.queued':
      case 'response.in_progress':
        this.#takeResponse(event.response);
        return 'other';
      default:
        return 'other';
    }
  }

  /**
   * Records that the provider billed nothing, unless usage was reported or output already streamed (then tokens
   * were generated and the estimate stands).
   */
  #noCharge(): void {
    if (this.#usage === undefined && this.#output.length === 0) this.#usage = emptyUsage();
  }

  #takeResponse(response: unknown): void {
    this.#state = openAiResponseState(response, this.#state);
    if (!isRecord(response)) return;
    this.#model = stringField(response, 'model') ?? this.#model;
    this.#usage =
      withServiceTier(withOpenAiToolCalls(openAiUsage(response.usage, 'responses'), response), response.service_tier) ??
      this.#usage;
  }

  #chunk(chunk: Record<string, unknown>): StreamEventKind {
    // OpenAI and compatible servers (vLLM, OpenRouter) report a mid-stream failure as a chunk with `error`.
    if (chunk.error !== undefined && chunk.error !== null) {
      // OpenRouter's error chunk carries the usage billed up to the error: the provider's report, not a gap.
      if (isRecord(chunk.usage)) this.#usage = openAiUsage(chunk.usage, this.#operation) ?? this.#usage;
      return this.#fail();
    }
    // Azure's first chunk (prompt filter results) has an empty model, which must not hide the real one.
    this.#model = stringField(chunk, 'model') ?? this.#model;
    const hasUsage = isRecord(chunk.usage);
    // Only the usage chunk's tier matters (every chunk repeats it): read it there and nowhere else.
    if (hasUsage)
      this.#usage = withServiceTier(openAiUsage(chunk.usage, this.#operation), chunk.service_tier) ?? this.#usage;
    // Groq reports a stream's usage on its finish chunk as `x_groq.usage` (OpenAI's counts, plus timings).
    else if (chunk.x_groq !== undefined) {
      this.#usage = openAiUsage(field(chunk.x_groq, 'usage'), this.#operation) ?? this.#usage;
    }
    const choices = chunk.choices;
    let content = false;
    if (Array.isArray(choices)) {
      for (const choice of choices) if (this.#choice(choice)) content = true;
      if (this.#anyChoiceFinished && this.#openChoices.size === 0) this.#finished = true;
    }
    if (content) return 'content';
    // Only a chunk with nothing but usage is the `include_usage` one; a finish chunk that also carries usage
    // (some compatible servers) has a `finish_reason` the caller needs. A provider with no usage to report may
    // still send that last chunk with `usage` null or not an object: once every choice finished, an empty-choices
    // chunk with a `usage` member is that chunk all the same. Before then, it is the provider's own (Azure's
    // first chunk: prompt filter results, and `"usage":null` when usage was asked for).
    const noChoices = !Array.isArray(choices) || choices.length === 0;
    if (noChoices && (hasUsage || (this.#finished && Object.hasOwn(chunk, 'usage')))) return 'usage_only';
    return 'other';
  }

  /** Takes one choice of a chunk; says whether it carried output. */
  #choice(choice: unknown): boolean {
    if (!isRecord(choice)) return false;
    const index = choice.index ?? 0;
    const finishReason = choice.finish_reason;
    if (typeof finishReason === 'string' && finishReason !== '') {
      this.#openChoices.delete(index);
      this.#lastOpened = undefined;
      this.#anyChoiceFinished = true;
    } else if (index !== this.#lastOpened) {
      // Every chunk of a choice names it: the set is written when the choice changes, not on every chunk.
      this.#openChoices.add(index);
      this.#lastOpened = index;
    }
    let content = choice.text !== undefined && this.#text(choice.text); // legacy Completions
    const delta = choice.delta;
    if (!isRecord(delta)) return content;
    // The delta fields holding generated text (`reasoning_content` / `reasoning` are compatible servers'), each
    // read by name: a loop over the names made every read a generic keyed lookup.
    if (this.#text(delta.content)) content = true;
    if (delta.refusal !== undefined && this.#text(delta.refusal)) content = true;
    if (delta.reasoning_content !== undefined && this.#text(delta.reasoning_content)) content = true;
    if (delta.reasoning !== undefined && this.#text(delta.reasoning)) content = true;
    const toolCalls = delta.tool_calls;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) if (isRecord(call) && this.#functionCall(call.function)) content = true;
    }
    if (delta.function_call !== undefined && this.#functionCall(delta.function_call)) content = true;
    return content;
  }

  /** Takes a (legacy or tool) function call delta; its name alone already shows the model answering. */
  #functionCall(call: unknown): boolean {
    if (!isRecord(call)) return false;
    const name = call.name;
    const named = typeof name === 'string' && name !== '';
    return this.#text(call.arguments) || named;
  }

  #text(value: unknown): boolean {
    if (typeof value !== 'string' || value === '') return false;
    this.#output.add(value);
    return true;
  }
}

/** The `code` of a Responses `error` event (`{ error: { code } }`, or `code` at the top as older events have it). */
function errorCode(event: Record<string, unknown>): unknown {
  return field(event.error, 'code') ?? event.code;
}

/**
 * The content of a plain chat content chunk: one choice, without finish reason or legacy `text`, whose delta is
 * only a non-empty `content` string without a quote, backslash or control character (so its JSON string is the
 * text itself); no `type`, `error`, `x_groq`, and `usage` null or absent (`"usage": null` is on every chunk of a
 * stream that asked for usage). What the OpenAI accumulator does with such a chunk: keeps its model, opens its
 * choice, adds its text. Both readers of such chunks as bytes (this accumulator's template and the proxy's
 * content lane) recognize them by this one rule.
 *
 * @example
 * ```ts
 * plainChunkContent({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }); // 'Hi'
 * plainChunkContent({ choices: [{ index: 0, delta: { content: 'a"b' }, finish_reason: null }] }); // undefined
 * ```
 */
export function plainChunkContent(chunk: unknown): string | undefined {
  if (!isRecord(chunk) || chunk.type !== undefined || chunk.error !== undefined || chunk.x_groq !== undefined) {
    return undefined;
  }
  if (chunk.usage !== undefined && chunk.usage !== null) return undefined;
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice: unknown = choices[0];
  if (!isRecord(choice) || choice.text !== undefined) return undefined;
  if (choice.finish_reason !== null && choice.finish_reason !== undefined) return undefined;
  const delta = choice.delta;
  if (!isRecord(delta)) return undefined;
  const keys = Object.keys(delta);
  const content = delta.content;
  if (keys.length !== 1 || keys[0] !== 'content' || typeof content !== 'string') return undefined;
  return content !== '' && isPlainText(content) ? content : undefined;
}

/**
 * A plain chat content chunk (one choice, its delta only `content`, no finish reason, no usage but `null`), as raw text
 * around its content: `prefix` up to the content string's opening quote, `suffix` from its closing quote. A
 * chunk of the same stream that is `prefix` + text + `suffix`, the text without a quote, a backslash or a control
 * character (so its JSON string is the text itself), parses to the same chunk with that text as its content: the
 * accumulator takes it as it took the template's, without `JSON.parse` (most of a stream's events, and most of
 * the CPU the proxy spent reading them).
 */
class ContentChunkTemplate {
  readonly prefix: string;
  readonly suffix: string;
  readonly model: string | undefined;
  readonly index: unknown;

  private constructor(prefix: string, suffix: string, model: string | undefined, index: unknown) {
    this.prefix = prefix;
    this.suffix = suffix;
    this.model = model;
    this.index = index;
  }

  /** The template of `data` (parsed: `chunk`), when it is a plain content chunk whose content can be found. */
  static of(data: string, chunk: unknown): ContentChunkTemplate | undefined {
    const content = plainChunkContent(chunk);
    if (content === undefined) return undefined;
    const written = `"content":"${content}"`;
    const at = data.indexOf(written);
    if (at === -1 || data.indexOf(written, at + 1) !== -1) return undefined;
    const prefix = data.slice(0, at + 11);
    const suffix = data.slice(at + written.length - 1);
    // The content found is the one the parse reads (not a look-alike elsewhere in the chunk): proven by one parse.
    const probe = parseEventData(`${prefix}${content}x${suffix}`);
    const probeChoices = field(probe, 'choices');
    const probed = Array.isArray(probeChoices) ? field(field(probeChoices[0], 'delta'), 'content') : undefined;
    if (probed !== `${content}x`) return undefined;
    const choices = field(chunk, 'choices');
    const index = Array.isArray(choices) ? field(choices[0], 'index') : undefined;
    return new ContentChunkTemplate(prefix, suffix, stringField(chunk, 'model'), index ?? 0);
  }

  /** The content of `data` when it is this template's chunk with other content; else `undefined`. */
  contentOf(data: string): string | undefined {
    const { prefix, suffix } = this;
    const length = data.length - prefix.length - suffix.length;
    if (length <= 0 || !data.startsWith(prefix) || !data.endsWith(suffix)) return undefined;
    const text = data.slice(prefix.length, prefix.length + length);
    return isPlainText(text) ? text : undefined;
  }
}
