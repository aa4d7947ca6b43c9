import type { ServerResponse } from 'node:http';

/**
 * One server-sent event as it goes on the wire: an optional `event:` line, one `data:` line (JSON, or a raw
 * string such as OpenAI's `[DONE]`), and the blank line that ends the event.
 */
export function sseFrame(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}

/**
 * Writes frames and waits until Node has handed them to the socket, so that a client sees each chunk before the
 * next one is even produced (and a following `destroy()` cannot swallow it). Resolves `false` when the response
 * is gone or `signal` fires first.
 */
export function writeFrames(res: ServerResponse, frames: readonly string[], signal: AbortSignal): Promise<boolean> {
  if (frames.length === 0) return Promise.resolve(!res.destroyed && !signal.aborted);
  if (res.destroyed || res.writableEnded || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(frames.join(''), (error) => {
      signal.removeEventListener('abort', onAbort);
      resolve(error == null);
    });
  });
}
