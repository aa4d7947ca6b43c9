import { field, isRecord, parseEventData, stringField } from '../json-shape.js';
import type { Operation, Usage } from '../record.js';
import { anthropicWireFormat } from './anthropic.js';
import { bedrockInvocationUsage, withBedrockServiceTier } from './bedrock-usage.js';
import { STREAM_TEXT_LIMIT, TextParts } from './text-parts.js';
import type { ResponseSummary, StreamAccumulator, StreamEventKind, StreamSummary, WireFormat } from './wire-format.js';

const INVOCATION_METRICS = 'amazon-bedrock-invocationMetrics';

/**
 * Whether a Bedrock model id (a base model id, an inference profile id such as `us.anthropic.…`, or an ARN)
 * names an Anthropic model, whose `InvokeModel` bodies are Anthropic's Messages format.
 */
export function isBedrockAnthropicModel(modelId: string): boolean {
  return /(^|[./])anthropic\./.test(modelId);
}

/**
 * The wire format of an `InvokeModel` body for a Bedrock model: Anthropic's Messages format for Anthropic
 * models, else `undefined` (each other model family has its own body).
 */
export function bedrockInvokeFormat(modelId: string): WireFormat | undefined {
  return isBedrockAnthropicModel(modelId) ? anthropicWireFormat : undefined;
}

/**
 * What an `InvokeModel` response body (already parsed) tells. Anthropic models report Anthropic usage; the
 * response's `model` (`claude-3-5-sonnet-20241022`) is left out: on Bedrock the request's model id (inference
 * profile and all: `global.` and regional profiles are priced differently) is what is billed.
 */
export function bedrockInvokeResponse(modelId: string, body: unknown): ResponseSummary {
  const format = bedrockInvokeFormat(modelId);
  if (format === undefined) return { usage: undefined, responseModel: undefined };
  return { usage: format.parseResponse('chat', body).usage, responseModel: undefined };
}

/**
 * Follows an `InvokeModelWithResponseStream` stream: fed with each chunk's decoded JSON (the chunk's `bytes`,
 * as UTF-8 JSON). For an Anthropic model each chunk is an Anthropic stream event, followed by Anthropic's
 * accumulator; for other models any chunk is content. Bedrock adds `amazon-bedrock-invocationMetrics`
 * (`inputTokenCount`, `outputTokenCount`) to the last chunk: it ends the stream, and its counts stand in when
 * the model's own events reported no usage. The response model is left out, as in {@link bedrockInvokeResponse}.
 */
export class BedrockInvokeStreamAccumulator implements StreamAccumulator {
  readonly #inner: StreamAccumulator | undefined;
  readonly #output = new TextParts('', STREAM_TEXT_LIMIT);
  readonly #serviceTier: string | undefined;
  #metricsUsage: Usage | undefined;
  #sawMetrics = false;

  /**
   * @param serviceTier The tier the response's `X-Amzn-Bedrock-Service-Tier` header reports (the SDK's
   *   `serviceTier` output): the stream's events do not say it.
   */
  constructor(modelId: string, operation: Operation = 'chat', serviceTier?: string) {
    this.#inner = bedrockInvokeFormat(modelId)?.createStreamAccumulator(operation);
    this.#serviceTier = serviceTier;
  }

  pushRaw(data: string): StreamEventKind {
    return this.push(parseEventData(data));
  }

  push(data: unknown): StreamEventKind {
    const metrics = field(data, INVOCATION_METRICS);
    if (isRecord(metrics)) {
      this.#sawMetrics = true;
      this.#metricsUsage = bedrockInvocationUsage(metrics) ?? this.#metricsUsage;
    }
    if (this.#inner !== undefined) return this.#inner.push(data, stringField(data, 'type'));
    if (!isRecord(data)) return 'other';
    const text = stringField(data, 'generation') ?? stringField(data, 'outputText');
    this.#output.add(text);
    return text === undefined && isRecord(metrics) ? 'other' : 'content';
  }

  summary(): StreamSummary {
    const inner = this.#inner?.summary();
    const output = this.#output;
    return {
      usage: withBedrockServiceTier(inner?.usage ?? this.#metricsUsage, { serviceTier: this.#serviceTier }),
      responseModel: undefined,
      finished: (inner?.finished ?? false) || this.#sawMetrics,
      failed: inner?.failed ?? false,
      outputText: () => inner?.outputText() ?? output.text(),
      outputLength: () => inner?.outputLength() ?? output.length,
    };
  }
}
