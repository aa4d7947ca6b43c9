import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A pino logger whose JSON lines a test reads back, for checking what the proxy logs (and never logs). */
export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, as written (JSON text with its line break). */
  readonly lines: string[];
  /** The lines parsed. */
  records(): Record<string, unknown>[];
  /** Forgets the lines written so far (between tests). */
  clear(): void;
  /** The first line whose `msg` is `message`, polling until one is written or `timeoutMs` passes. */
  waitFor(message: string, timeoutMs?: number): Promise<{ text: string; fields: Record<string, unknown> }>;
}

/** A logger at `level` that keeps its lines in memory. */
export function captureLog(level: 'debug' | 'info' | 'warn' = 'info'): CapturedLog {
  const lines: string[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    logger,
    lines,
    records,
    clear: () => {
      lines.length = 0;
    },
    waitFor: async (message, timeoutMs = 2000) => {
      const deadline = Date.now() + timeoutMs;
      const needle = `"msg":${JSON.stringify(message)}`;
      for (;;) {
        const text = lines.find((line) => line.includes(needle));
        if (text !== undefined) return { text, fields: JSON.parse(text) as Record<string, unknown> };
        if (Date.now() > deadline) throw new Error(`nothing logged "${message}" within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
