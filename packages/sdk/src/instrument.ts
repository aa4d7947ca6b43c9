import type { Buckets, Budget, CardinalityLimits, Labels, Meter, PriceBook, PriceOverrides } from '@llmeter/core';
import {
  anthropicWireFormat,
  bedrockWireFormat,
  geminiWireFormat,
  openAiWireFormat,
  type WireFormat,
} from '@llmeter/core/wire';
import type { Registry } from 'prom-client';
import { ANTHROPIC_METHODS } from './anthropic-methods.js';
import { addBedrockMiddleware, type MiddlewareStackLike } from './bedrock-middleware.js';
import { type ClientKind, detectClient, resolvePath } from './client-kind.js';
import { GEMINI_METHODS, measuredGeminiMethod } from './gemini-methods.js';
import { measuredMethod } from './measured-call.js';
import type { MeasuredMethodSpec } from './measured-method-spec.js';
import type { MeasurementContext } from './measurement-context.js';
import { meterSetup } from './meter-setup.js';
import { OPENAI_METHODS } from './openai-methods.js';

/** How {@link instrument} measures a client. Every field is optional. */
export interface InstrumentOptions {
  /** Where the metrics live. Default: prom-client's global `register`. Ignored when `meter` is given. */
  registry?: Registry;
  /** An existing meter to record on (shared by several clients, say). Its own options then apply. */
  meter?: Meter;
  /** Prefix of every metric name. Default `llm_`. */
  prefix?: string;
  /** Labels every call of this client carries, e.g. `{ app: 'search' }`. Their names are declared on the meter. */
  labels?: Labels;
  /** More label names that {@link withLabels} may set (a label whose name is not declared is dropped). */
  labelNames?: readonly string[];
  /**
   * The `provider` label. Default from the client: `openai`, `azure` (an Azure client or base URL),
   * `anthropic`, `gemini` (a `GoogleGenAI` client of the Gemini API), `vertex_ai` (one with `vertexai: true`), or
   * the base URL's host for an OpenAI-compatible server (`localhost:11434`).
   */
  provider?: string;
  /** Prices: overrides added to the bundled prices (USD per million tokens), or a whole price book. */
  prices?: PriceBook | PriceOverrides;
  /** Cardinality limits on label values. */
  limits?: CardinalityLimits;
  /**
   * Spending budgets on any label calls carry (`team`, `model`…), per UTC `day`, `week` or `month`: exported as
   * `llm_budget_usd` and `llm_budget_spent_usd`, e.g. `[{ labels: { team: 'ads' }, usd: 500, period: 'month' }]`.
   */
  budgets?: readonly Budget[];
  /** Histogram buckets, in seconds. */
  buckets?: Partial<Buckets>;
  /**
   * Add `stream_options.include_usage` to OpenAI chat and completions streams that do not ask for it, so that
   * their tokens are reported rather than estimated; the extra chunk is hidden from the caller. Default true.
   * A server that refuses the option (a 400 naming `stream_options`) gets the call again, once, as the caller
   * wrote it; that client is then not asked again, and its streams' tokens are counted locally.
   */
  injectStreamUsage?: boolean;
  /**
   * Called with any error raised while measuring (a parser bug, say); the call itself always goes on
   * untouched. Default: one process warning, then silence.
   */
  onError?: (error: unknown) => void;
}

const instrumented = new WeakSet<object>();

const FORMATS: Readonly<Record<ClientKind, WireFormat>> = {
  openai: openAiWireFormat,
  anthropic: anthropicWireFormat,
  gemini: geminiWireFormat,
  bedrock: bedrockWireFormat,
};

/**
 * Measures every model call a client makes, as Prometheus metrics (see the README for the metric contract).
 *
 * Returns the same client object, with the same type: `chat.completions.create`, `responses.create`,
 * `embeddings.create` and `completions.create` of an `openai` client (and `responses.retrieve` /
 * `responses.cancel`, which carry a background response's usage, counted once per response), `messages.create` (through which
 * `messages.stream()` goes) of an `@anthropic-ai/sdk` client, and `models.generateContent`,
 * `models.generateContentStream` and `models.embedContent` (through which `chats` sessions go) of a
 * `@google/genai` client, are measured; everything else is untouched. `withOptions()` returns an instrumented
 * clone on the same metrics. Instrumenting a client twice does nothing.
 *
 * A `@aws-sdk/client-bedrock-runtime` client (`BedrockRuntimeClient`) is measured through its middleware stack:
 * `ConverseCommand`, `ConverseStreamCommand`, and `InvokeModelCommand` / `InvokeModelWithResponseStreamCommand`
 * (with usage for Anthropic models), under the provider `aws.bedrock`.
 *
 * @throws TypeError when `client` is not an `openai`, `@anthropic-ai/sdk`, `@google/genai` or Bedrock Runtime client.
 * @throws MeterConfigError (from core) when the metrics cannot be registered as asked (bad names, a clash).
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { instrument } from '@llmeter/sdk';
 * const openai = instrument(new OpenAI(), { labels: { app: 'search' } });
 * ```
 *
 * @example
 * ```ts
 * import { GoogleGenAI } from '@google/genai';
 * import { instrument } from '@llmeter/sdk';
 * const ai = instrument(new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY }));
 * const reply = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello!' });
 * ```
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
 * import { instrument } from '@llmeter/sdk';
 * const bedrock = instrument(new BedrockRuntimeClient({ region: 'us-east-1' }));
 * await bedrock.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: [] }));
 * ```
 */
export function instrument<T extends object>(client: T, options: InstrumentOptions = {}): T {
  if (instrumented.has(client)) return client;
  const shape = detectClient(client);
  if (!shape) {
    throw new TypeError(
      'llmeter: instrument() takes an OpenAI (openai), Anthropic (@anthropic-ai/sdk), Google Gen AI (@google/genai) or Bedrock Runtime (@aws-sdk/client-bedrock-runtime) client',
    );
  }
  const { meter, staticLabels, report } = meterSetup(options);
  const format = FORMATS[shape.kind];
  const context: MeasurementContext = {
    meter,
    provider: options.provider ?? shape.provider,
    format,
    staticLabels,
    injectStreamUsage: options.injectStreamUsage ?? true,
    report,
  };
  if (shape.kind === 'bedrock') {
    addBedrockMiddleware((client as { middlewareStack: MiddlewareStackLike }).middlewareStack, context);
  } else if (shape.kind === 'gemini') {
    for (const spec of GEMINI_METHODS) patchMethod(client, spec, context, measuredGeminiMethod);
  } else {
    for (const spec of shape.kind === 'openai' ? OPENAI_METHODS : ANTHROPIC_METHODS) {
      patchMethod(client, spec, context, measuredMethod);
    }
  }
  patchWithOptions(client, { ...options, meter });
  instrumented.add(client);
  return client;
}

type AnyFunction = (...args: unknown[]) => unknown;

/** Puts the measured method on the resource object itself, so the SDK's classes stay as they are. */
function patchMethod<S extends MeasuredMethodSpec>(
  client: object,
  spec: S,
  context: MeasurementContext,
  measure: (original: AnyFunction, spec: S, context: MeasurementContext) => AnyFunction,
): void {
  const resource = resolvePath(client, spec.path);
  const original = resource?.[spec.method];
  if (!resource || typeof original !== 'function') return;
  Object.defineProperty(resource, spec.method, {
    value: measure(original as AnyFunction, spec, context),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** `withOptions()` builds a fresh client (fresh resources): instrument it too, on the same meter. */
function patchWithOptions(client: object, options: InstrumentOptions): void {
  const original: unknown = (client as { withOptions?: unknown }).withOptions;
  if (typeof original !== 'function') return;
  Object.defineProperty(client, 'withOptions', {
    value: function withOptions(this: unknown, ...args: unknown[]): unknown {
      const clone: unknown = Reflect.apply(original, this, args);
      return typeof clone === 'object' && clone !== null ? instrument(clone, options) : clone;
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
