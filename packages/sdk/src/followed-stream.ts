import {
  callOutcome,
  type InFlightCall,
  type Operation,
  type ResponseLedger,
  type TransportEnding,
} from '@llmeter/core';
import type { StreamAccumulator, StreamEventKind, WireFormat } from '@llmeter/core/wire';
import type { MeasurementContext } from './measurement-context.js';

/** What recording one followed stream needs, whichever client's stream it is. */
export interface FollowedStreamCall {
  call: InFlightCall;
  context: MeasurementContext;
  /** The format whose `requestText` counts the prompt when the stream reported no usage. */
  format: WireFormat;
  operation: Operation;
  model: string;
  /** The caller's request params (or body), for counting the prompt when the provider reports no usage. */
  requestBody: unknown;
  accumulator: StreamAccumulator;
  /** OpenAI's ledger of responses already counted (a background response resumed or polled). */
  ledger?: ResponseLedger | undefined;
  /** The OpenAI response a resume (`responses.retrieve(id, { stream: true })`) names. */
  responseId?: string | undefined;
  /** One SDK event as the accumulator takes it (`undefined`: skip it); absent when it takes the events as they are. */
  decode?: ((event: unknown) => unknown) | undefined;
}

/**
 * The measuring side of one streamed call, fed by a client's stream adapter (`sdk-stream.ts` for openai and
 * Anthropic, `gemini-stream.ts`, `bedrock-stream.ts`): it takes each event the caller reads, marks the first
 * token, and records the call once, at {@link FollowedStream.end}. What that means for the record (ok,
 * `aborted`, `stream_error`…) is {@link callOutcome}'s to decide, from how the stream ended and the events seen.
 */
export class FollowedStream {
  #ended = false;
  #broken = false;
  /** Whether the first content event was seen (then no later event reads the call's first-token time). */
  #firstTokenSeen = false;
  // Read on every event: held in fields of their own rather than reached through `info` each time.
  readonly #accumulator: StreamAccumulator;
  readonly #decode: ((event: unknown) => unknown) | undefined;

  constructor(private readonly info: FollowedStreamCall) {
    this.#accumulator = info.accumulator;
    this.#decode = info.decode;
  }

  /** Whether the call is recorded already. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Takes one event the caller reads; returns what it was to the accumulator, or `undefined` when it skipped it
   * or the stream is no longer followed (recorded, or a parser bug stopped it).
   */
  push(event: unknown): StreamEventKind | undefined {
    if (this.#broken || this.#ended) return undefined;
    try {
      const decode = this.#decode;
      let data = event;
      if (decode !== undefined) {
        data = decode(event);
        if (data === undefined) return undefined;
      }
      const kind = this.#accumulator.push(data);
      if (kind === 'content' && !this.#firstTokenSeen) {
        this.#firstTokenSeen = true;
        this.info.call.markFirstToken();
      }
      return kind;
    } catch (error) {
      // A parser bug must not break the caller's stream: stop following it and let the events pass.
      this.#broken = true;
      this.info.context.report(error);
      return undefined;
    }
  }

  /** Records the stream, once, as {@link callOutcome} decides from how it ended and the events seen. */
  end(transport: TransportEnding, error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const endedAt = performance.now();
    const { call, context, format, operation, model, requestBody, accumulator, ledger, responseId } = this.info;
    const onError = context.report;
    try {
      const stream = { summary: accumulator.summary(), format, operation, model, requestBody };
      const provider = context.provider;
      call.end(callOutcome({ transport, error, stream, endedAt, onError, ledger, responseId, model, provider }));
    } catch (failure) {
      // Reading the summary failed (a bug): record what is known without it.
      context.report(failure);
      call.end(callOutcome({ transport, error, endedAt, onError }));
    }
  }
}
