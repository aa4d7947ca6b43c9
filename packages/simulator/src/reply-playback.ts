import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedReply } from './scripted-reply.js';

/** A complete JSON body, sent in one piece. */
export interface JsonPlan {
  kind: 'json';
  body: unknown;
}

/**
 * A stream, as already encoded frames (SSE text by default; AWS event-stream messages for Bedrock), in the three
 * parts the reply's timing and faults act on. `content` holds one group of frames per content chunk (a text or
 * tool-argument delta, with any lifecycle frames that must precede it); the delays come before each group and
 * the faults strike between groups.
 */
export interface StreamPlan<Frame = string> {
  kind: 'stream';
  /** Sent at once after the headers (role delta, `message_start`, `response.created`…). */
  head: Frame[];
  content: Frame[][];
  /** Sent after the last content chunk: finish reason, usage, terminator. */
  tail: Frame[];
  /** The provider's in-stream error, sent instead of the rest after `sent` content chunks. */
  errorTail(sent: number): Frame[];
}

/**
 * Writes a group of frames and resolves once Node has handed them to the socket; `false` when the response is
 * gone or `signal` fired first.
 */
export type FrameWriter<Frame> = (
  res: ServerResponse,
  frames: readonly Frame[],
  signal: AbortSignal,
) => Promise<boolean>;

export type ReplyPlan = JsonPlan | StreamPlan;

/** Waits `ms`; resolves `false` instead when `signal` fires first. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Sends a JSON body with `content-length`, after the reply's simulated generation time. */
export async function sendJson(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: unknown,
  waitMs: number,
  signal: AbortSignal,
): Promise<void> {
  if (!(await pause(waitMs, signal)) || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'content-length': bytes.length });
  res.end(bytes);
}

/** How long a JSON reply takes to be "generated": what its stream would take from first to last chunk. */
export function generationMs(reply: ResolvedReply, chunkCount: number): number {
  return reply.firstChunkDelayMs + reply.chunkDelayMs * Math.max(0, chunkCount - 1);
}

/**
 * Plays a stream: headers at once, the head frames, then each content chunk after its delay, then the tail.
 * A cut or error event scripted past the last content chunk strikes right before the tail. `write` puts a group
 * of frames on the wire: `writeFrames` for SSE text, `writeMessages` for AWS event-stream messages.
 */
export async function playStream<Frame>(
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  plan: StreamPlan<Frame>,
  reply: ResolvedReply,
  signal: AbortSignal,
  write: FrameWriter<Frame>,
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, headers);
  res.flushHeaders();
  if (!(await write(res, plan.head, signal))) return;
  let sent = 0;
  for (const group of plan.content) {
    if (await strikeFault(res, plan, reply, sent, signal, write)) return;
    if (!(await pause(sent === 0 ? reply.firstChunkDelayMs : reply.chunkDelayMs, signal))) return;
    if (!(await write(res, group, signal))) return;
    sent += 1;
  }
  if (plan.content.length === 0 && !(await pause(reply.firstChunkDelayMs, signal))) return;
  if (reply.cutAfterChunks !== undefined || reply.errorEventAfterChunks !== undefined) {
    await strikeFault(res, plan, reply, sent, signal, write, true);
    return;
  }
  if (await write(res, plan.tail, signal)) res.end();
}

/** Cuts the stream or sends its error event when the reply scripts that at `sent` chunks (or at the end). */
async function strikeFault<Frame>(
  res: ServerResponse,
  plan: StreamPlan<Frame>,
  reply: ResolvedReply,
  sent: number,
  signal: AbortSignal,
  write: FrameWriter<Frame>,
  atEnd = false,
): Promise<boolean> {
  const cut = reply.cutAfterChunks;
  const error = reply.errorEventAfterChunks;
  // When both are scripted, the earlier one wins; at equal counts the cut does (nothing can follow it).
  if (cut !== undefined && (atEnd || cut <= sent) && (error === undefined || cut <= error)) {
    res.destroy();
    return true;
  }
  if (error !== undefined && (atEnd || error <= sent)) {
    if (await write(res, plan.errorTail(sent), signal)) res.end();
    return true;
  }
  return false;
}
