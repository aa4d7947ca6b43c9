import { field, isRecord } from '../json-shape.js';
import type { Operation } from '../record.js';
import { TextParts } from './text-parts.js';

/**
 * The prompt text of an OpenAI request body, for counting its tokens locally: chat `messages` (and the tool
 * calls in them) plus tool definitions; Responses `instructions`, `input` and tools; Completions `prompt`;
 * Embeddings `input` (token-id arrays are skipped: they are not text). Never throws; odd shapes add nothing.
 */
export function openAiRequestText(operation: Operation, body: unknown): string {
  const parts = new TextParts('\n');
  if (!isRecord(body)) return '';
  try {
    switch (operation) {
      case 'chat':
        addChat(parts, body);
        break;
      case 'responses':
        addResponses(parts, body);
        break;
      case 'text_completion':
        addStrings(parts, body.prompt);
        break;
      case 'embeddings':
        addStrings(parts, body.input);
        break;
      case 'other':
        break;
    }
  } catch {
    // A body too odd to walk (a throwing getter) keeps whatever text was found before it.
  }
  return parts.text();
}

function addChat(parts: TextParts, body: Record<string, unknown>): void {
  const messages = body.messages;
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!isRecord(message)) continue;
      addContent(parts, message.content);
      const toolCalls = message.tool_calls;
      if (Array.isArray(toolCalls)) for (const call of toolCalls) addFunctionCall(parts, field(call, 'function'));
      addFunctionCall(parts, message.function_call);
    }
  }
  parts.addJson(body.tools);
  parts.addJson(body.functions);
}

function addResponses(parts: TextParts, body: Record<string, unknown>): void {
  parts.add(body.instructions);
  const input = body.input;
  if (Array.isArray(input)) {
    for (const item of input) {
      if (typeof item === 'string') {
        parts.add(item);
        continue;
      }
      if (!isRecord(item)) continue;
      // Messages have `content`; function calls `arguments`; their results `output`.
      addContent(parts, item.content);
      parts.add(item.text);
      parts.add(item.arguments);
      parts.add(item.output);
    }
  } else {
    parts.add(input);
  }
  parts.addJson(body.tools);
}

/** A message's content: a string, or parts whose text is in `text` (or `refusal`, for assistant refusals). */
function addContent(parts: TextParts, content: unknown): void {
  if (!Array.isArray(content)) {
    parts.add(content);
    return;
  }
  for (const part of content) {
    if (typeof part === 'string') parts.add(part);
    else if (isRecord(part)) {
      parts.add(part.text);
      parts.add(part.refusal);
    }
  }
}

function addFunctionCall(parts: TextParts, call: unknown): void {
  if (!isRecord(call)) return;
  parts.add(call.name);
  parts.add(call.arguments);
}

/** A string or an array of strings; anything else (token ids) is skipped. */
function addStrings(parts: TextParts, value: unknown): void {
  if (!Array.isArray(value)) {
    parts.add(value);
    return;
  }
  for (const item of value) parts.add(item);
}
