import { callOutcome, errorTypeFromError, type InFlightCall, type TransportEnding, type Usage } from '@llmeter/core';
import { isRecord, openAiWireFormat, type StreamSummary } from '@llmeter/core/wire';
import { aiSdkPromptAsChatBody } from './ai-sdk-prompt.js';
import { aiSdkUsage } from './ai-sdk-usage.js';

/** As much output text as core keeps of any stream for a local count (it extrapolates from the sample). */
const OUTPUT_TEXT_LIMIT = 64 * 1024;

/** Stream parts whose `delta` is output: the first non-empty one is the first token. */
const DELTA_PARTS: ReadonlySet<unknown> = new Set(['text-delta', 'reasoning-delta', 'tool-input-delta']);

/**
 * What the parts of one AI SDK model stream (any version: V2, V3, V4 share these part types) told so far, as
 * core's {@link StreamSummary}, for `callOutcome` to decide from.
 */
export class AiSdkStreamSummary implements StreamSummary {
  finished = false;
  failed = false;
  usage: Usage | undefined;
  responseModel: string | undefined;
  /** Set when an `error` part carried the caller's abort rather than a provider's error. */
  abortError: unknown;
  readonly #output: string[] = [];
  #kept = 0;
  #length = 0;
  /** Tool calls whose input came as deltas; a `tool-call` part of another one is output of its own. */
  readonly #streamedToolInputs = new Set<unknown>();

  /** Takes one part; returns whether it carried output (text, reasoning, a tool call's input). */
  push(part: unknown): boolean {
    if (!isRecord(part)) return false;
    const { type } = part;
    if (DELTA_PARTS.has(type)) {
      if (type === 'tool-input-delta') this.#streamedToolInputs.add(part.id);
      return this.#addOutput(part.delta);
    }
    switch (type) {
      case 'tool-call':
        return this.#streamedToolInputs.has(part.toolCallId) ? false : this.#addOutput(part.input);
      case 'response-metadata':
        if (typeof part.modelId === 'string' && part.modelId !== '') this.responseModel = part.modelId;
        return false;
      case 'finish':
        this.usage = aiSdkUsage(part.usage, part.providerMetadata);
        this.#finish(part.finishReason);
        return false;
      case 'error':
        // The caller's abort may reach the stream as an error part: that is the caller stopping, not the provider.
        if (errorTypeFromError(part.error) === 'aborted') this.abortError = part.error;
        else this.failed = true;
        return false;
    }
    return false;
  }

  /** V2 names the reason as a string, V3 and V4 as `{ unified, raw }`. */
  #finish(reason: unknown): void {
    const unified = isRecord(reason) ? reason.unified : reason;
    // `interrupted` (V4): the provider's stream ended without its completion signal; `error`: it failed.
    if (unified === 'error') this.failed = true;
    else if (unified !== 'interrupted') this.finished = true;
  }

  #addOutput(value: unknown): boolean {
    if (typeof value !== 'string' || value === '') return false;
    this.#length += value.length;
    const room = OUTPUT_TEXT_LIMIT - this.#kept;
    if (room > 0) {
      const kept = value.length <= room ? value : value.slice(0, room);
      this.#output.push(kept);
      this.#kept += kept.length;
    }
    return true;
  }

  outputText(): string {
    return this.#output.join('');
  }

  outputLength(): number {
    return this.#length;
  }
}

/** What recording one followed stream needs. */
export interface AiSdkStreamCall {
  call: InFlightCall;
  /** The request's model, to count tokens with when neither the provider nor the stream named one. */
  model: string;
  /** The call options the model got (`prompt`, `tools`, `abortSignal`). */
  params: unknown;
  report: (error: unknown) => void;
}

/** One followed stream: records its call once. */
class AiSdkStreamMeasurement {
  readonly summary = new AiSdkStreamSummary();
  #ended = false;
  #broken = false;

  constructor(
    private readonly info: AiSdkStreamCall,
    /** The reader of the model's own stream, to let it go when the caller drops the stream. */
    readonly source: ReadableStreamDefaultReader<unknown>,
  ) {}

  observe(part: unknown): void {
    if (this.#broken || this.#ended) return;
    try {
      if (this.summary.push(part)) this.info.call.markFirstToken();
    } catch (error) {
      // A bug here must not break the caller's stream: stop following it and let the parts pass.
      this.#broken = true;
      this.info.report(error);
    }
  }

  /** Records the stream, once. How it counts (ok, `aborted`, `stream_error`…) is `callOutcome`'s to decide. */
  end(transport: TransportEnding, error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    droppedStreams.unregister(this);
    const endedAt = performance.now();
    const { call, model, params, report } = this.info;
    const { summary } = this;
    let ending = transport;
    let cause = error;
    // The caller's `abortSignal` fired: whatever the provider's stream made of it, the caller stopped.
    const signal = isRecord(params) ? params.abortSignal : undefined;
    if (!summary.finished && (summary.abortError !== undefined || (signal instanceof AbortSignal && signal.aborted))) {
      ending = 'aborted';
      cause ??= summary.abortError;
    }
    try {
      const requestBody = aiSdkPromptAsChatBody(params);
      const stream = { summary, format: openAiWireFormat, operation: 'chat' as const, model, requestBody };
      call.end(callOutcome({ transport: ending, error: cause, stream, endedAt, onError: report }));
    } catch (failure) {
      report(failure);
      call.end(callOutcome({ transport: ending, error: cause, endedAt, onError: report }));
    }
  }
}

// A stream the caller drops without reading it to its end or cancelling it (a `streamText` result left unread, a
// loop left half-way) would stay in flight forever: once it is garbage-collected, it is recorded as aborted and
// the model's stream is cancelled, which lets its connection go.
const droppedStreams = new FinalizationRegistry<AiSdkStreamMeasurement>((measurement) => {
  measurement.end('aborted');
  measurement.source.cancel().catch(() => {
    // Already closed or errored: nothing to let go.
  });
});

/**
 * Follows the stream of one AI SDK model call: returns a stream of the very same parts, read from `source` only
 * as the caller reads (no read-ahead), that records the call once, at the first of: the last part read
 * (`complete`), a read that fails (`failed`, with the error), the caller cancelling it (`aborted`), or the
 * stream being garbage-collected before any of those (`aborted`). Time to first token is the first non-empty
 * text, reasoning or tool-input delta.
 */
export function measuredAiSdkStream<T>(source: ReadableStream<T>, info: AiSdkStreamCall): ReadableStream<T> {
  const reader = source.getReader();
  const measurement = new AiSdkStreamMeasurement(info, reader);
  const measured = new ReadableStream<T>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          measurement.end('failed', error);
          throw error;
        }
        if (result.done) {
          measurement.end('complete');
          controller.close();
          return;
        }
        measurement.observe(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        measurement.end('aborted', reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  droppedStreams.register(measured, measurement, measurement);
  return measured;
}
