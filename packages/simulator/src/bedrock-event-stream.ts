import type { ServerResponse } from 'node:http';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

// The AWS codec writes the prelude, header and message CRCs exactly as the SDK's decoder checks them.
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The content type of an AWS event stream response. */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

function stringHeaders(values: Record<string, string>): MessageHeaders {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(values)) headers[name] = { type: 'string', value };
  return headers;
}

/** One event message (`:message-type: event`) whose payload is JSON. */
export function eventMessage(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: stringHeaders({
      ':event-type': eventType,
      ':content-type': 'application/json',
      ':message-type': 'event',
    }),
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** One exception message (`:message-type: exception`), as Bedrock ends a stream that fails midway. */
export function exceptionMessage(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: stringHeaders({
      ':exception-type': exceptionType,
      ':content-type': 'application/json',
      ':message-type': 'exception',
    }),
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/**
 * Writes messages and waits until Node has handed them to the socket; resolves `false` when the response is
 * gone or `signal` fires first.
 */
export function writeMessages(
  res: ServerResponse,
  messages: readonly Uint8Array[],
  signal: AbortSignal,
): Promise<boolean> {
  if (messages.length === 0) return Promise.resolve(!res.destroyed && !signal.aborted);
  if (res.destroyed || res.writableEnded || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(Buffer.concat(messages), (error) => {
      signal.removeEventListener('abort', onAbort);
      resolve(error == null);
    });
  });
}
