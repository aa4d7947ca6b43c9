import type { StreamUsageOption } from '@llmeter/core/wire';
import { isRecord } from '@llmeter/core/wire';
import type { MeasurementContext } from './measurement-context.js';

/** The instrumented clients whose server refused the `stream_options` llmeter added: later calls go without it. */
const refusingClients = new WeakSet<MeasurementContext>();

/** Whether this client's server refused the usage option once already, so it is not asked again. */
export function refusesStreamUsage(context: MeasurementContext): boolean {
  return refusingClients.has(context);
}

/** What {@link resendIfStreamUsageRefused} needs of the call it watches. */
export interface StreamUsageResend {
  readonly option: StreamUsageOption;
  readonly context: MeasurementContext;
  /** Makes the call again exactly as the caller wrote it (the unmeasured SDK method, the caller's arguments). */
  resend(): unknown;
  /** Told once the call was sent again: its stream reports no usage, which is then counted locally. */
  resent(): void;
}

/**
 * Lets a call to which llmeter added `stream_options` survive a server that refuses the option (a 400 naming
 * it, as the OpenAI wire format's `refused` rule decides for both front ends): the SDK's `APIPromise` reads its
 * `responsePromise` lazily, so it is replaced, before the caller gets the promise, by one that sends the request
 * again, once, as the caller wrote it. Nothing reached the caller yet and the server generated nothing, so the
 * caller sees only the second answer, and the call is one call. The client is remembered, so later calls are
 * not asked.
 */
export function resendIfStreamUsageRefused(apiPromise: object, call: StreamUsageResend): void {
  const target = apiPromise as Record<string, unknown>;
  const answered = Promise.resolve(target.responsePromise).then(undefined, (error: unknown) => {
    if (!call.option.refused(statusOf(error), errorText(error))) throw error;
    let again: unknown;
    try {
      again = call.resend();
    } catch {
      // The SDK refused to send it again (its own validation): the caller gets the server's refusal.
      throw error;
    }
    if (!isRecord(again) || !isPromiseLike(again.responsePromise)) throw error;
    refusingClients.add(call.context);
    call.resent();
    return again.responsePromise;
  });
  answerWith(target, answered);
}

/**
 * Points an `APIPromise`, and every promise derived from it, at `answered`. openai v7 gives each `APIPromise`
 * its own `withResponse` and `_thenUnwrap`, which read the first request directly rather than through
 * `responsePromise`, so those are replaced too (doing what v7's do: the data first, then its response).
 */
function answerWith(target: Record<string, unknown>, answered: Promise<unknown>): void {
  target.responsePromise = answered;
  if (Object.hasOwn(target, 'withResponse')) {
    target.withResponse = async () => {
      const data: unknown = await (target as unknown as PromiseLike<unknown>);
      // The SDK's own shape of what a request resolves to: `{ response, options, controller, … }`.
      const { response } = (await answered) as { response: Response };
      return { data, response, request_id: response.headers.get('x-request-id') };
    };
  }
  const thenUnwrap = target._thenUnwrap;
  if (Object.hasOwn(target, '_thenUnwrap') && typeof thenUnwrap === 'function') {
    target._thenUnwrap = function thenUnwrapAnswered(this: unknown, ...args: unknown[]): unknown {
      const derived: unknown = Reflect.apply(thenUnwrap, this, args);
      if (isRecord(derived)) answerWith(derived, answered);
      return derived;
    };
  }
}

function statusOf(error: unknown): number {
  return isRecord(error) && typeof error.status === 'number' ? error.status : 0;
}

/**
 * What an SDK `APIError` keeps of the error body: its message (`400 Unrecognized request argument supplied:
 * stream_options`) and its parsed `error` member (`param`, `code`). A body without an `error` member is not
 * kept by the SDK, so such a refusal goes to the caller as it came.
 */
function errorText(error: unknown): string {
  if (!isRecord(error)) return '';
  const message = typeof error.message === 'string' ? error.message : '';
  let body = '';
  try {
    body = JSON.stringify(error.error) ?? '';
  } catch {
    // A body that does not serialize (a cycle) names nothing more than the message.
  }
  return `${message} ${body}`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return isRecord(value) && typeof value.then === 'function';
}
