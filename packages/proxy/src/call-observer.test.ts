import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import { createMeter } from '@llmeter/core';
import { openAiWireFormat } from '@llmeter/core/wire';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { type ObservedCall, SseObserver } from './call-observer.js';

const MiB = 1024 * 1024;

function observedCall(): ObservedCall {
  const meter = createMeter({ registry: new Registry() });
  const call = meter.start({ provider: 'openai', operation: 'chat', model: 'gpt-4o', stream: true });
  return { format: openAiWireFormat, operation: 'chat', model: 'gpt-4o', requestBody: {}, call };
}

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', model: 'gpt-4o', choices: [{ index: 0, delta: { content } }] })}\n\n`;
const finishAndDone = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
/** 16 MiB of chat chunks, then the finish chunk and `[DONE]`. */
const decoded = Buffer.concat([Buffer.alloc(16 * MiB, chunk('x'.repeat(1000))), Buffer.from(finishAndDone)]);

const encoders = {
  gzip: (bytes: Buffer) => gzipSync(bytes),
  deflate: (bytes: Buffer) => deflateSync(bytes),
  br: (bytes: Buffer) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }),
};

describe('SseObserver limits', () => {
  test.each(Object.entries(encoders))(
    '%s: decodes no more than its limit of a stream that decodes to 16 MiB',
    async (encoding, encode) => {
      const compressed = encode(decoded);
      const observer = new SseObserver(observedCall(), encoding, undefined, { decodedBytes: MiB });
      for (let at = 0; at < compressed.length; at += 16 * 1024)
        observer.take(compressed.subarray(at, at + 16 * 1024), 0);
      const { stream } = await observer.finish('complete');
      // One decoded chunk may cross the limit (zlib's are 16 KiB; brotli's up to 64 KiB); its excess is not read.
      expect(observer.decodedBytes).toBeGreaterThanOrEqual(MiB);
      expect(observer.decodedBytes).toBeLessThan(MiB + 256 * 1024);
      const summary = stream?.summary;
      expect(summary?.outputLength()).toBeLessThanOrEqual(MiB);
      expect(summary?.outputLength()).toBeGreaterThan(MiB / 2);
      expect(summary?.usage).toBeUndefined();
      // Its end was not read; the upstream ended it cleanly, so it is not recorded as broken.
      expect(summary?.finished).toBe(true);
    },
  );

  test('the whole stream under the limit is read, end included', async () => {
    const compressed = gzipSync(Buffer.concat([Buffer.from(chunk('Hello')), Buffer.from(finishAndDone)]));
    const observer = new SseObserver(observedCall(), 'gzip');
    observer.take(compressed, 0);
    const { stream } = await observer.finish('complete');
    expect(stream?.summary.outputText()).toBe('Hello');
    expect(stream?.summary.finished).toBe(true);
  });

  test('an oversized event is skipped and the rest of the stream read; a stream cut off stays unfinished', async () => {
    const events = `${chunk('a')}${chunk('b'.repeat(5000))}${chunk('c')}`;
    const complete = new SseObserver(observedCall(), undefined, undefined, { eventLength: 1000 });
    complete.take(Buffer.from(events + finishAndDone), 0);
    const read = await complete.finish('complete');
    expect(read.stream?.summary.outputText()).toBe('ac');
    expect(read.stream?.summary.finished).toBe(true);

    const cut = new SseObserver(observedCall(), undefined, undefined, { eventLength: 1000 });
    cut.take(Buffer.from(events), 0);
    expect((await cut.finish('failed')).stream?.summary.finished).toBe(false);
  });
});
