import { readFileSync } from 'node:fs';
import type { Usage } from '../record.js';
import type { StreamAccumulator, StreamEventKind, StreamSummary } from './wire-format.js';

/*
 * Test support, shared by the wire formats' fixture tests: reading the recordings kept in `fixtures/` and replaying
 * a recorded stream as the proxy does. Not exported from the package; `*.test-support.ts` is left out of its build
 * and of its published files.
 */

/** The bytes of a file under `fixtures/` (e.g. `openai/chat-stream-no-usage.sse`). */
export function readFixture(path: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/${path}`, import.meta.url));
}

/** A JSON file under `fixtures/`, parsed. */
export function readJsonFixture(path: string): unknown {
  return JSON.parse(new TextDecoder().decode(readFixture(path)));
}

/** A stream body's parser, as the replay drives it: chunks in, then the end. */
export interface ChunkParser {
  push(chunk: Uint8Array | string): void;
  end(): void;
}

/** What a replayed stream showed: the kind of every event and the summary fields every format's test compares. */
export interface StreamReplay {
  kinds: StreamEventKind[];
  usage: Usage | undefined;
  responseModel: string | undefined;
  finished: boolean;
  failed: boolean;
}

/**
 * Feeds `chunks` through the parser that `parserFor` builds around the accumulator's `pushRaw`, ends it, and returns
 * the replay with the summary itself (for the fields only one format's test reads).
 */
export function replayStream(
  accumulator: StreamAccumulator,
  parserFor: (take: (data: string, eventName?: string) => void) => ChunkParser,
  chunks: Iterable<Uint8Array | string>,
): { replay: StreamReplay; summary: StreamSummary } {
  const kinds: StreamEventKind[] = [];
  const parser = parserFor((data, eventName) => kinds.push(accumulator.pushRaw(data, eventName)));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  const summary = accumulator.summary();
  const { usage, responseModel, finished, failed } = summary;
  return { replay: { kinds, usage, responseModel, finished, failed }, summary };
}
