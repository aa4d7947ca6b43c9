import { describe, expect, it } from 'vitest';
import type { Operation, Usage } from '../record.js';
import { readFixture, readJsonFixture, replayStream, type StreamReplay } from './fixture-replay.test-support.js';
import { geminiWireFormat } from './gemini.js';
import { JsonArrayStreamParser } from './json-array-stream-parser.js';
import { SseParser } from './sse-parser.js';
import type { StreamEventKind } from './wire-format.js';

// Recorded Gemini API responses; where each comes from is in fixtures/gemini/README.md.
function fixture(name: string): Uint8Array {
  return readFixture(`gemini/${name}`);
}

function usage(input: number, output: number, cachedInput: number, reasoning: number): Usage {
  return { input, output, cachedInput, cacheWrite: 0, reasoning };
}

interface Replay extends StreamReplay {
  outputLength: number;
}

type Framing = 'sse' | 'json-array';

/** Feeds a stream body, in the given chunks, through its framing's parser into a fresh accumulator. */
function replay(framing: Framing, chunks: Iterable<Uint8Array | string>): Replay {
  const { replay, summary } = replayStream(
    geminiWireFormat.createStreamAccumulator('chat'),
    (take) =>
      framing === 'sse' ? new SseParser((event) => take(event.data)) : new JsonArrayStreamParser((text) => take(text)),
    chunks,
  );
  return { ...replay, outputLength: summary.outputLength() };
}

const C: StreamEventKind = 'content';
const O: StreamEventKind = 'other';

interface StreamCase {
  file: string;
  framing: Framing;
  expected: Replay;
}

const cases: StreamCase[] = [
  {
    // gemini-2.5-pro with thought parts: 4 thought events, then 16 text events (the first also carries a
    // thoughtSignature); 34 prompt; last chunk 387 candidates, total 1180, so 759 thoughts. 3118 characters of text.
    file: 'stream-thinking.sse',
    framing: 'sse',
    expected: {
      kinds: Array(20).fill(C),
      usage: usage(34, 387 + 759, 0, 759),
      responseModel: 'gemini-2.5-pro',
      finished: true,
      failed: false,
      outputLength: 3118,
    },
  },
  {
    // gemini-2.5-flash: 18 prompt; 80 candidates, total 133, so 35 thoughts.
    file: 'stream-short.sse',
    framing: 'sse',
    expected: {
      kinds: [C, C, C],
      usage: usage(18, 80 + 35, 0, 35),
      responseModel: 'gemini-2.5-flash',
      finished: true,
      failed: false,
      outputLength: 80,
    },
  },
  {
    // One usage-only chunk with every count: 12 prompt (4 of them cached) + 65 tool-use; 71 candidates + 89 thoughts.
    file: 'stream-usage-all-counts.sse',
    framing: 'sse',
    expected: {
      kinds: [O],
      usage: usage(12 + 65, 71 + 89, 4, 89),
      responseModel: undefined,
      finished: false,
      failed: false,
      outputLength: 0,
    },
  },
  {
    // The default JSON-array framing (no `?alt=sse`); every chunk repeats the totals 9 / 27.
    file: 'stream-json-array.json',
    framing: 'json-array',
    expected: {
      kinds: [C, C, C, C, C],
      usage: usage(9, 27, 0, 0),
      responseModel: undefined,
      finished: true,
      failed: false,
      outputLength: 1734,
    },
  },
];

describe('recorded Gemini streams', () => {
  for (const { file, framing, expected } of cases) {
    describe(file, () => {
      const bytes = fixture(file);

      it('yields the exact usage, model, ending and event kinds', () => {
        expect(replay(framing, [bytes])).toEqual(expected);
      });

      it('yields the same fed one byte at a time, and split in two at every 97th byte', () => {
        expect(
          replay(
            framing,
            Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
          ),
        ).toEqual(expected);
        for (let at = 0; at <= bytes.length; at += 97) {
          expect(replay(framing, [bytes.subarray(0, at), bytes.subarray(at)])).toEqual(expected);
        }
      });

      it('yields the same from decoded chunk objects, as the Gen AI SDK hands them out', () => {
        const accumulator = geminiWireFormat.createStreamAccumulator('chat');
        const kinds: StreamEventKind[] = [];
        const take = (text: string) => kinds.push(accumulator.push(JSON.parse(text)));
        const parser = framing === 'sse' ? new SseParser((event) => take(event.data)) : new JsonArrayStreamParser(take);
        parser.push(bytes);
        parser.end();
        expect(kinds).toEqual(expected.kinds);
        expect(accumulator.summary().usage).toEqual(expected.usage);
      });
    });
  }

  it('reads the JSON-array body whole, as a buffered JSON reply, to the same usage', () => {
    const body = readJsonFixture('gemini/stream-json-array.json');
    expect(geminiWireFormat.parseResponse('chat', body)).toEqual({
      usage: usage(9, 27, 0, 0),
      responseModel: undefined,
    });
  });
});

describe('recorded Gemini JSON replies', () => {
  const jsonCases: [string, Operation, Usage, string | undefined][] = [
    // 373 prompt of which 204 cached; 89 candidates + 167 thoughts.
    ['generate-cached-thinking.json', 'chat', usage(373, 89 + 167, 204, 167), 'gemini-2.5-flash'],
    // Blocked by a safety setting: the prompt is billed, nothing was generated.
    ['generate-safety-blocked.json', 'chat', usage(14, 0, 0, 0), 'gemini-2.5-flash'],
    ['vertex-predict-embed.json', 'embeddings', usage(4, 0, 0, 0), undefined],
  ];
  for (const [file, operation, expectedUsage, model] of jsonCases) {
    it(`${file}: usage and response model`, () => {
      const body = readJsonFixture(`gemini/${file}`);
      expect(geminiWireFormat.parseResponse(operation, body)).toEqual({ usage: expectedUsage, responseModel: model });
    });
  }
});
