import type { InFlightCall, Usage } from '@llmeter/core';
import {
  BedrockInvokeStreamAccumulator,
  bedrockInvokeFormat,
  bedrockInvokeResponse,
  bedrockWireFormat,
  isRecord,
  type ResponseSummary,
  withBedrockServiceTier,
} from '@llmeter/core/wire';
import { BEDROCK_COMMANDS, type BedrockCommandSpec } from './bedrock-commands.js';
import { followBedrockStream } from './bedrock-stream.js';
import { endCall, startCall } from './in-flight-call.js';
import type { MeasurementContext } from './measurement-context.js';

/** The parts of a Smithy middleware stack llmeter uses (`client.middlewareStack`). */
export interface MiddlewareStackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
}

type Handler = (args: { input?: unknown }) => Promise<{ output?: unknown; response?: unknown }>;

/** The parts of a Smithy handler context llmeter reads. */
interface HandlerContext {
  commandName?: unknown;
  /** Smithy's own context (`SMITHY_CONTEXT_KEY`); `send(command, { abortSignal })` puts the signal there. */
  __smithy_context?: unknown;
}

/**
 * The caller's `abortSignal`. The SDK's HTTP handler answers an abort mid-stream by destroying the request, and
 * the stream then fails with a plain `ECONNRESET` error ("aborted"): only the signal tells the caller stopped.
 */
function callerSignal(handlerContext: HandlerContext): AbortSignal | undefined {
  const signal = isRecord(handlerContext.__smithy_context) ? handlerContext.__smithy_context.abortSignal : undefined;
  return isRecord(signal) && typeof signal.aborted === 'boolean' ? (signal as unknown as AbortSignal) : undefined;
}

/** The name of llmeter's middleware on a Bedrock client's stack. */
export const BEDROCK_MIDDLEWARE_NAME = 'llmeterMeasurement';

const decoder = new TextDecoder();

/**
 * Adds llmeter's middleware to a `BedrockRuntimeClient`'s stack. It sits at the `initialize` step, outside the
 * SDK's retries (one record per `send`, whatever the attempts) and sees each command's input and deserialized
 * output; the caller gets the SDK's own output object (a followed stream keeps its identity) and its own errors.
 */
export function addBedrockMiddleware(stack: MiddlewareStackLike, context: MeasurementContext): void {
  stack.add(
    (next: Handler, handlerContext: HandlerContext): Handler => {
      const spec =
        typeof handlerContext.commandName === 'string' ? BEDROCK_COMMANDS[handlerContext.commandName] : undefined;
      if (spec === undefined) return next;
      return (args) => measure(next, args, spec, context, callerSignal(handlerContext));
    },
    { step: 'initialize', name: BEDROCK_MIDDLEWARE_NAME, priority: 'high', override: true },
  );
}

async function measure(
  next: Handler,
  args: { input?: unknown },
  spec: BedrockCommandSpec,
  context: MeasurementContext,
  signal: AbortSignal | undefined,
): ReturnType<Handler> {
  const startedAt = performance.now();
  const modelId = isRecord(args.input) && typeof args.input.modelId === 'string' ? args.input.modelId : '';
  const call = startCall(context, { operation: 'chat', model: modelId, stream: spec.stream, startedAt });
  if (call === undefined) return next(args);
  const { report } = context;
  let result: Awaited<ReturnType<Handler>>;
  try {
    result = await next(args);
  } catch (error) {
    endCall(call, report, { transport: signal?.aborted ? 'aborted' : 'failed', error });
    throw error;
  }
  try {
    take(result, call, spec, modelId, args.input, context, signal);
  } catch (error) {
    report(error);
    endCall(call, report, { transport: 'complete' });
  }
  return result;
}

/** Takes a command's result: a stream to follow, or a response to read usage from. */
function take(
  result: { output?: unknown; response?: unknown },
  call: InFlightCall,
  spec: BedrockCommandSpec,
  modelId: string,
  input: unknown,
  context: MeasurementContext,
  signal: AbortSignal | undefined,
): void {
  const { report } = context;
  const { output } = result;
  if (!isRecord(output)) {
    endCall(call, report, { transport: 'complete' });
    return;
  }
  if (spec.api === 'converse') {
    if (!spec.stream) {
      endCall(call, report, { transport: 'complete', response: bedrockWireFormat.parseResponse('chat', output) });
      return;
    }
    const followed = followBedrockStream(output.stream, {
      call,
      context,
      signal,
      format: bedrockWireFormat,
      model: modelId,
      requestBody: input,
      accumulator: bedrockWireFormat.createStreamAccumulator('chat'),
      decode: (event) => event,
    });
    if (!followed) endCall(call, report, { transport: 'complete' });
    return;
  }
  const requestBody = isRecord(input) ? jsonOf(input.body) : undefined;
  if (!spec.stream) {
    endCall(call, report, { transport: 'complete', response: invokeSummary(modelId, output, result.response) });
    return;
  }
  const followed = followBedrockStream(output.body, {
    call,
    context,
    signal,
    // A non-Anthropic body has no prompt llmeter can read; Converse's reader finds none in it either.
    format: bedrockInvokeFormat(modelId) ?? bedrockWireFormat,
    model: modelId,
    requestBody,
    accumulator: new BedrockInvokeStreamAccumulator(
      modelId,
      'chat',
      typeof output.serviceTier === 'string' ? output.serviceTier : undefined,
    ),
    decode: (event) => jsonOf(isRecord(event) && isRecord(event.chunk) ? event.chunk.bytes : undefined),
  });
  if (!followed) endCall(call, report, { transport: 'complete' });
}

/**
 * An `InvokeModel` response: Anthropic usage from the body, else the token counts Bedrock sends in the
 * `x-amzn-bedrock-input-token-count` and `x-amzn-bedrock-output-token-count` headers for every model; with the
 * service tier of the `x-amzn-bedrock-service-tier` header (the SDK's `serviceTier` output).
 */
function invokeSummary(modelId: string, output: Record<string, unknown>, response: unknown): ResponseSummary {
  const usage = bedrockInvokeResponse(modelId, jsonOf(output.body)).usage ?? headerUsage(response);
  return { usage: withBedrockServiceTier(usage, output), responseModel: undefined };
}

function headerUsage(response: unknown): Usage | undefined {
  const headers = isRecord(response) && isRecord(response.headers) ? response.headers : undefined;
  const input = Number(headers?.['x-amzn-bedrock-input-token-count']);
  const output = Number(headers?.['x-amzn-bedrock-output-token-count']);
  if (!Number.isSafeInteger(input) || !Number.isSafeInteger(output) || input < 0 || output < 0) return undefined;
  return { input, output, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}

/** A body (a string, or bytes such as the SDK's `Uint8ArrayBlobAdapter`) parsed as JSON; else `undefined`. */
function jsonOf(body: unknown): unknown {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = decoder.decode(body);
  else return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
