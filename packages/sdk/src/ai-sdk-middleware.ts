import type { CallEnd, InFlightCall, Operation } from '@llmeter/core';
import { isRecord } from '@llmeter/core/wire';
import { aiSdkProviderLabel } from './ai-sdk-provider.js';
import { measuredAiSdkStream } from './ai-sdk-stream.js';
import { aiSdkEmbeddingUsage, aiSdkUsage } from './ai-sdk-usage.js';
import { callLabels } from './call-labels.js';
import { endCall } from './in-flight-call.js';
import type { InstrumentOptions } from './instrument.js';
import { type MeterSetup, meterSetup } from './meter-setup.js';

/** How {@link llmeterMiddleware} measures: `instrument`'s options, less those about an SDK client's requests. */
export type AiSdkMiddlewareOptions = Omit<InstrumentOptions, 'injectStreamUsage' | 'provider'> & {
  /**
   * The `provider` label. Default from the wrapped model's `provider` id: its first segment (`openai.chat` →
   * `openai`, `anthropic.messages` → `anthropic`, `groq.chat` → `groq`), with `google.generative-ai` → `gemini`,
   * `google.vertex.*` → `vertex_ai` and `amazon-bedrock` → `aws.bedrock`, as the other front ends name them.
   */
  provider?: string;
};

/** The parts of an AI SDK model (language or embedding, any version) llmeter reads. */
export interface AiSdkModelLike {
  readonly provider: string;
  readonly modelId: string;
}

/**
 * A language model middleware that `wrapLanguageModel` of `ai` 5 (LanguageModelV2), 6 (V3) and 7 (V4) all
 * accept: its functions are generic over the model version's own result types, so each version's type checker
 * sees its own. `specificationVersion` is `'v3'` because `ai` 6's type demands exactly that; `ai` 5 and 7 read
 * no version from a middleware.
 */
export interface LlmeterLanguageModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapGenerate: <R extends object>(options: {
    doGenerate: () => PromiseLike<R>;
    params: unknown;
    model: AiSdkModelLike;
  }) => Promise<R>;
  wrapStream: <R extends { stream: ReadableStream<unknown> }>(options: AiSdkStreamOptions<R>) => Promise<R>;
}

/** What `wrapStream` gets from `wrapLanguageModel` (of any version), as far as llmeter reads it. */
export interface AiSdkStreamOptions<R> {
  doStream: () => PromiseLike<R>;
  params: unknown;
  model: AiSdkModelLike;
}

/** An embedding model middleware that `wrapEmbeddingModel` of `ai` 6 (EmbeddingModelV3) and 7 (V4) accept. */
export interface LlmeterEmbeddingModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapEmbed: <R extends object>(options: {
    doEmbed: () => PromiseLike<R>;
    params: unknown;
    model: AiSdkModelLike;
  }) => Promise<R>;
}

/** What every measured call of one middleware shares. */
interface AiSdkContext extends MeterSetup {
  provider: string | undefined;
}

function contextOf(options: AiSdkMiddlewareOptions): AiSdkContext {
  return { ...meterSetup(options), provider: options.provider };
}

function start(context: AiSdkContext, model: AiSdkModelLike, operation: Operation, stream: boolean) {
  try {
    return context.meter.start({
      provider: context.provider ?? aiSdkProviderLabel(String(model.provider)),
      operation,
      model: typeof model.modelId === 'string' ? model.modelId : '',
      stream,
      labels: callLabels(context.staticLabels),
    });
  } catch (error) {
    context.report(error);
    return undefined;
  }
}

/**
 * The HTTP status of a failed call: the AI SDK's `APICallError` carries it as `statusCode` (a name core's
 * `errorTypeFromError` does not read), so it is handed to `callOutcome` as the response's status.
 */
function failure(error: unknown): CallEnd {
  const status = isRecord(error) && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  return { transport: 'failed', error, status };
}

function end(call: InFlightCall | undefined, context: AiSdkContext, what: CallEnd): void {
  if (call === undefined) return;
  try {
    endCall(call, context.report, what);
  } catch (error) {
    context.report(error);
  }
}

/** Runs the model's own call; one that fails ends the measured call and reaches the caller unchanged. */
async function modelCall<R>(
  call: InFlightCall | undefined,
  context: AiSdkContext,
  run: () => PromiseLike<R>,
): Promise<R> {
  try {
    return await run();
  } catch (error) {
    end(call, context, failure(error));
    throw error;
  }
}

/** `response.modelId` of a generate result, when the provider named the model that answered. */
function responseModelOf(result: object): string | undefined {
  const response = (result as { response?: unknown }).response;
  const modelId = isRecord(response) ? response.modelId : undefined;
  return typeof modelId === 'string' && modelId !== '' ? modelId : undefined;
}

/**
 * Measures every call of an AI SDK language model (`generateText`, `streamText`, `generateObject`, agents…) as
 * Prometheus metrics, with the contract of {@link instrument} (operation `chat`): tokens by type and cost from
 * the usage the model reports (V2's numbers, V3's and V4's `inputTokens` / `outputTokens` objects), provider and
 * model from the wrapped model, time to first token at a stream's first text, reasoning or tool-input delta, and
 * errors (an `APICallError`'s status, an abort, a stream that fails or is dropped), each call recorded once.
 *
 * The AI SDK retries above its middleware, so each attempt is a call of its own, as the provider saw it.
 * {@link withLabels} scopes apply to the calls made inside them.
 *
 * @throws MeterConfigError (from core) when the metrics cannot be registered as asked (bad names, a clash).
 *
 * @example
 * ```ts
 * import { openai } from '@ai-sdk/openai';
 * import { generateText, wrapLanguageModel } from 'ai';
 * import { llmeterMiddleware } from '@llmeter/sdk';
 * const model = wrapLanguageModel({ model: openai('gpt-4o-mini'), middleware: llmeterMiddleware() });
 * const { text } = await generateText({ model, prompt: 'Hello!' });
 * ```
 */
export function llmeterMiddleware(options: AiSdkMiddlewareOptions = {}): LlmeterLanguageModelMiddleware {
  const context = contextOf(options);
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, model }) {
      const call = start(context, model, 'chat', false);
      const result = await modelCall(call, context, doGenerate);
      end(call, context, {
        transport: 'complete',
        response: { usage: usageOf(context, result), responseModel: responseModelOf(result) },
      });
      return result;
    },
    async wrapStream<R extends { stream: ReadableStream<unknown> }>({
      doStream,
      params,
      model,
    }: AiSdkStreamOptions<R>): Promise<R> {
      const call = start(context, model, 'chat', true);
      const result = await modelCall(call, context, doStream);
      if (call === undefined) return result;
      try {
        const stream = measuredAiSdkStream(result.stream, {
          call,
          model: model.modelId,
          params,
          report: context.report,
        });
        return { ...result, stream };
      } catch (error) {
        context.report(error);
        end(call, context, { transport: 'complete' });
        return result;
      }
    },
  };
}

function usageOf(context: AiSdkContext, result: object) {
  try {
    const { usage, providerMetadata } = result as { usage?: unknown; providerMetadata?: unknown };
    return aiSdkUsage(usage, providerMetadata);
  } catch (error) {
    context.report(error);
    return undefined;
  }
}

/**
 * Measures every call of an AI SDK embedding model (`embed`, `embedMany`) as operation `embeddings`, with the
 * options of {@link llmeterMiddleware}. `wrapEmbeddingModel` exists from `ai` 6 on; `ai` 5 has no embedding
 * middleware.
 *
 * @throws MeterConfigError (from core) when the metrics cannot be registered as asked (bad names, a clash).
 *
 * @example
 * ```ts
 * import { openai } from '@ai-sdk/openai';
 * import { embed, wrapEmbeddingModel } from 'ai';
 * import { llmeterEmbeddingMiddleware } from '@llmeter/sdk';
 * const model = wrapEmbeddingModel({
 *   model: openai.embedding('text-embedding-3-small'),
 *   middleware: llmeterEmbeddingMiddleware(),
 * });
 * const { embedding } = await embed({ model, value: 'sunny day at the beach' });
 * ```
 */
export function llmeterEmbeddingMiddleware(options: AiSdkMiddlewareOptions = {}): LlmeterEmbeddingModelMiddleware {
  const context = contextOf(options);
  return {
    specificationVersion: 'v3',
    async wrapEmbed({ doEmbed, model }) {
      const call = start(context, model, 'embeddings', false);
      const result = await modelCall(call, context, doEmbed);
      let usage: ReturnType<typeof aiSdkEmbeddingUsage>;
      try {
        usage = aiSdkEmbeddingUsage((result as { usage?: unknown }).usage);
      } catch (error) {
        context.report(error);
      }
      end(call, context, { transport: 'complete', response: { usage } });
      return result;
    },
  };
}
