import { field, isRecord } from '../json-shape.js';
import type { Operation } from '../record.js';
import { BedrockConverseStreamAccumulator } from './bedrock-stream.js';
import { bedrockUsage, withBedrockServiceTier } from './bedrock-usage.js';
import { TextParts } from './text-parts.js';
import type { RequestFacts, ResponseSummary, WireFormat } from './wire-format.js';

/** The Bedrock Runtime actions on a model, as their paths name them. */
export type BedrockAction = 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';

/** What a Bedrock Runtime path (`/model/{modelId}/{action}`) names. */
export interface BedrockPathFacts {
  /** The model id, inference profile id or ARN, decoded (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`). */
  model: string;
  action: BedrockAction;
}

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)\/?$/;

/**
 * The model and action of a Bedrock Runtime path, or `undefined` for any other path. The model id is
 * percent-decoded: clients encode the `:` of `…-v1:0` and the `/` of an ARN.
 *
 * @example
 * ```ts
 * bedrockPathFacts('/model/amazon.nova-lite-v1%3A0/converse-stream');
 * // { model: 'amazon.nova-lite-v1:0', action: 'converse-stream' }
 * ```
 */
export function bedrockPathFacts(path: string): BedrockPathFacts | undefined {
  const match = PATH.exec(path.split('?')[0] ?? '');
  const [, encoded, action] = match ?? [];
  if (encoded === undefined || action === undefined) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return { model, action: action as BedrockAction };
}

function operationForPath(path: string): Operation {
  const action = bedrockPathFacts(path)?.action;
  return action === 'converse' || action === 'converse-stream' ? 'chat' : 'other';
}

/**
 * A Converse request names its model in the path on the wire, and in `modelId` in the SDK's command input;
 * whether it streams is the action's (`converse-stream`, `ConverseStreamCommand`), never the body's.
 */
function readRequest(body: unknown, path?: string): RequestFacts {
  const facts = path === undefined ? undefined : bedrockPathFacts(path);
  if (facts !== undefined) return { model: facts.model, stream: facts.action === 'converse-stream' };
  const modelId = field(body, 'modelId');
  return { model: typeof modelId === 'string' ? modelId : '', stream: false };
}

function parseResponse(_operation: Operation, body: unknown): ResponseSummary {
  // A Converse response does not name the model that answered: the request's model is priced.
  return { usage: withBedrockServiceTier(bedrockUsage(field(body, 'usage')), body), responseModel: undefined };
}

/** The prompt text of a Converse request: system blocks, messages' text, tool uses and results, tool specs. */
function requestText(_operation: Operation, body: unknown): string {
  const parts = new TextParts('\n');
  const system = field(body, 'system');
  if (Array.isArray(system)) for (const block of system) parts.add(field(block, 'text'));
  const messages = field(body, 'messages');
  if (Array.isArray(messages)) {
    for (const message of messages) {
      const content = field(message, 'content');
      if (Array.isArray(content)) for (const block of content) addContentBlock(parts, block);
    }
  }
  parts.addJson(field(field(body, 'toolConfig'), 'tools'));
  return parts.text();
}

function addContentBlock(parts: TextParts, block: unknown): void {
  if (!isRecord(block)) return;
  parts.add(block.text);
  if (isRecord(block.toolUse)) parts.addJson(block.toolUse.input);
  const results = field(block.toolResult, 'content');
  if (Array.isArray(results)) {
    for (const result of results) {
      parts.add(field(result, 'text'));
      parts.addJson(field(result, 'json'));
    }
  }
}

/**
 * The Bedrock Converse wire format (`POST /model/{modelId}/converse` and `/converse-stream`), as
 * `@aws-sdk/client-bedrock-runtime`'s `ConverseCommand` and `ConverseStreamCommand` speak it. Usage comes from the
 * response's `usage`, or from a stream's `metadata` event (see {@link bedrockUsage}); streams always report it.
 * A stream arrives as AWS event-stream messages: feed each one's payload with its `:event-type` to the
 * accumulator, or the SDK's decoded union events as they are.
 *
 * `InvokeModel` calls carry the model provider's own body: for Anthropic models, Anthropic's Messages format.
 *
 * @example
 * ```ts
 * import { bedrockWireFormat } from '@llmeter/core/wire';
 * bedrockWireFormat.parseResponse('chat', { usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 } }).usage;
 * // { input: 12, output: 3, cachedInput: 0, cacheWrite: 0, reasoning: 0 }
 * ```
 */
export const bedrockWireFormat: WireFormat = {
  name: 'bedrock',
  operationForPath,
  readRequest,
  streamUsageOption: undefined,
  parseResponse,
  createStreamAccumulator() {
    return new BedrockConverseStreamAccumulator();
  },
  requestText,
};
