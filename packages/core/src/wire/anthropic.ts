import { field, isRecord, stringField } from '../json-shape.js';
import type { Operation } from '../record.js';
import { AnthropicStreamAccumulator } from './anthropic-stream.js';
import { anthropicCounts, anthropicUsage, codeExecutionCalls } from './anthropic-usage.js';
import { readRequestFacts } from './request-facts.js';
import { endpointPath } from './request-path.js';
import { TextParts } from './text-parts.js';
import type { WireFormat } from './wire-format.js';

/**
 * Whether a path is Anthropic's Messages endpoint (or its `count_tokens`). The `/v1` is required: a bare
 * `…/messages` suffix is also OpenAI's Assistants (`/v1/threads/{id}/messages`).
 */
export function isAnthropicPath(path: string): boolean {
  const endpoint = endpointPath(path);
  return endpoint.endsWith('/v1/messages') || endpoint.endsWith('/v1/messages/count_tokens');
}

function operationForPath(path: string): Operation {
  return endpointPath(path).endsWith('/v1/messages') ? 'chat' : 'other';
}

/**
 * The prompt text of a Messages request: `system`, the messages' text (tool inputs and tool results
 * included) and the tool definitions. Never throws; odd shapes add nothing.
 */
function requestText(_operation: Operation, body: unknown): string {
  const parts = new TextParts('\n');
  if (!isRecord(body)) return '';
  try {
    addBlocks(parts, body.system);
    const messages = body.messages;
    if (Array.isArray(messages)) for (const message of messages) addBlocks(parts, field(message, 'content'));
    parts.addJson(body.tools);
  } catch {
    // A body too odd to walk (a throwing getter) keeps whatever text was found before it.
  }
  return parts.text();
}

/** Content: a string, or blocks (text, tool use with JSON input, tool result with its own content). */
function addBlocks(parts: TextParts, content: unknown): void {
  if (!Array.isArray(content)) {
    parts.add(content);
    return;
  }
  for (const block of content) {
    if (!isRecord(block)) continue;
    parts.add(block.text);
    if (block.type === 'tool_use') parts.addJson(block.input);
    else if (block.type === 'tool_result') addBlocks(parts, block.content);
  }
}

/**
 * The Anthropic Messages wire format. Usage is normalized so that `input` includes cache reads and cache
 * writes (which Anthropic reports apart from `input_tokens`). Its streams always report usage (`message_start`,
 * `message_delta`), so there is no option to ask for it.
 */
export const anthropicWireFormat: WireFormat = {
  name: 'anthropic',
  operationForPath,
  readRequest: readRequestFacts,
  streamUsageOption: undefined,
  parseResponse(_operation, body) {
    const usage = field(body, 'usage');
    return {
      usage:
        usage === undefined
          ? undefined
          : anthropicUsage({ ...anthropicCounts(usage), codeExecutions: codeExecutionCalls(field(body, 'content')) }),
      responseModel: stringField(body, 'model'),
    };
  },
  createStreamAccumulator() {
    return new AnthropicStreamAccumulator();
  },
  requestText,
};
