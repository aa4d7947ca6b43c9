import { followGeminiStream, type GeminiStreamCall, isGeneratorLike } from './gemini-stream.js';
import { endCall, startCall } from './in-flight-call.js';
import type { MeasuredMethodSpec } from './measured-method-spec.js';
import type { MeasurementContext } from './measurement-context.js';
import { isThenable } from './thenable.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** A `@google/genai` method llmeter measures; its params never say whether it streams, the method does. */
export interface GeminiMethodSpec extends MeasuredMethodSpec {
  readonly stream: boolean;
}

/**
 * The `@google/genai` (`GoogleGenAI`) methods that make a model call. `chats.create()` sessions call these on the
 * client's own `models`, so `chat.sendMessage()` and `chat.sendMessageStream()` are measured here too, once.
 *
 * One call is one measured call, as the SDK's own retries and automatic continuations are part of it (the SDK
 * sums the usage of continued responses into the one it returns). Automatic function calling with `CallableTool`s
 * makes several model requests inside one call; the usage the SDK returns, and so the one recorded, is the last
 * request's.
 */
export const GEMINI_METHODS: readonly GeminiMethodSpec[] = [
  { path: ['models'], method: 'generateContent', operation: 'chat', stream: false },
  { path: ['models'], method: 'generateContentStream', operation: 'chat', stream: true },
  { path: ['models'], method: 'embedContent', operation: 'embeddings', stream: false },
];

/**
 * Wraps one `@google/genai` method (an `async` function) so that each call is measured once. The caller gets a
 * promise of the SDK's own result (the same `GenerateContentResponse`, the same stream generator, which is
 * followed in place) and the SDK's own errors (`ApiError` with its `status`), unchanged.
 */
export function measuredGeminiMethod(
  original: AnyFunction,
  spec: GeminiMethodSpec,
  context: MeasurementContext,
): AnyFunction {
  return function measured(this: unknown, ...args: unknown[]): unknown {
    const startedAt = performance.now();
    const params = args[0];
    const { model } = context.format.readRequest(params);
    const call = startCall(context, { operation: spec.operation, model, stream: spec.stream, startedAt });
    if (call === undefined) return Reflect.apply(original, this, args);
    const { report } = context;
    let result: unknown;
    try {
      result = Reflect.apply(original, this, args);
    } catch (error) {
      endCall(call, report, { transport: 'failed', error });
      throw error;
    }
    if (!isThenable(result)) {
      context.report(new TypeError(`llmeter: ${spec.path.join('.')}.${spec.method}() did not return a promise`));
      endCall(call, report, { transport: 'complete' });
      return result;
    }
    // The measurement sees the result first: a stream is followed before the caller can read a chunk of it.
    return Promise.resolve(result).then(
      (value) => {
        take(value, { call, context, operation: spec.operation, model, requestBody: params }, spec.stream);
        return value;
      },
      (error: unknown) => {
        endCall(call, report, { transport: 'failed', error });
        throw error;
      },
    );
  };
}

/** Takes a call's result, once: a stream to follow, or a response to read usage from. */
function take(value: unknown, info: GeminiStreamCall, stream: boolean): void {
  const { call, context, operation } = info;
  try {
    if (stream && isGeneratorLike(value)) {
      followGeminiStream(value, info);
      return;
    }
    endCall(call, context.report, { transport: 'complete', response: context.format.parseResponse(operation, value) });
  } catch (error) {
    context.report(error);
    endCall(call, context.report, { transport: 'complete' });
  }
}
