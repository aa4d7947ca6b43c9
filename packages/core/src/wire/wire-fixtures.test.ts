import { describe, expect, it } from 'vitest';
import type { Operation, Usage } from '../record.js';
import { anthropicWireFormat } from './anthropic.js';
import { readFixture, readJsonFixture, replayStream, type StreamReplay } from './fixture-replay.test-support.js';
import { openAiWireFormat } from './openai.js';
import { SseParser } from './sse-parser.js';
import type { StreamEventKind, WireFormat } from './wire-format.js';

interface Replay extends StreamReplay {
  text: string;
}

/** Feeds an SSE body, in the given chunks, through the parser into a fresh accumulator (as the proxy does). */
function replay(format: WireFormat, operation: Operation, chunks: Iterable<Uint8Array | string>): Replay {
  const { replay, summary } = replayStream(
    format.createStreamAccumulator(operation),
    (take) => new SseParser((event) => take(event.data, event.event)),
    chunks,
  );
  return { ...replay, text: summary.outputText() };
}

function* oneByteAtATime(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
}

function usage(input: number, output: number, cachedInput: number, cacheWrite: number, reasoning: number): Usage {
  return { input, output, cachedInput, cacheWrite, reasoning };
}

interface StreamCase {
  file: string;
  format: WireFormat;
  operation: Operation;
  expected: Replay;
}

const O: StreamEventKind = 'other';
const C: StreamEventKind = 'content';
const U: StreamEventKind = 'usage_only';
const E: StreamEventKind = 'error';

const streamCases: StreamCase[] = [
  {
    file: 'openai/chat-stream-include-usage.sse',
    format: openAiWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, C, C, C, O, U, O],
      usage: usage(2006, 4, 1920, 0, 0),
      responseModel: 'gpt-4o-2024-08-06',
      finished: true,
      failed: false,
      text: 'Héllo wörld 👋!',
    },
  },
  {
    file: 'openai/chat-stream-no-usage.sse',
    format: openAiWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, C, C, O, O],
      usage: undefined,
      responseModel: 'gpt-4o-mini-2024-07-18',
      finished: true,
      failed: false,
      text: 'Two plus two is four.',
    },
  },
  {
    file: 'openai/chat-stream-tool-calls.sse',
    format: openAiWireFormat,
    operation: 'chat',
    expected: {
      kinds: [C, C, C, C, C, C, O, U, O],
      usage: usage(82, 17, 0, 0, 0),
      responseModel: 'gpt-4o-2024-08-06',
      finished: true,
      failed: false,
      text: '{"location":"Paris, France"}',
    },
  },
  {
    file: 'openai/chat-stream-error.sse',
    format: openAiWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, C, E],
      usage: undefined,
      responseModel: 'gpt-4o-2024-08-06',
      finished: false,
      failed: true,
      text: 'The answer',
    },
  },
  {
    file: 'openai/chat-stream-usage-on-last-chunk-crlf.sse',
    format: openAiWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, C, C, O],
      usage: usage(31, 3, 0, 0, 0),
      responseModel: 'meta-llama/Llama-3.1-8B-Instruct',
      finished: true,
      failed: false,
      text: 'Bonjour.',
    },
  },
  {
    file: 'openai/completions-stream.sse',
    format: openAiWireFormat,
    operation: 'text_completion',
    expected: {
      kinds: [C, C, C, C, O, U, O],
      usage: usage(5, 7, 0, 0, 0),
      responseModel: 'gpt-3.5-turbo-instruct',
      finished: true,
      failed: false,
      text: '\n\nThis is a test.',
    },
  },
  {
    file: 'openai/responses-stream-completed.sse',
    format: openAiWireFormat,
    operation: 'responses',
    expected: {
      kinds: [O, O, O, O, C, O, O, O, O, O, C, C, C, O, O, O, O],
      usage: usage(1536, 212, 1280, 0, 192),
      responseModel: 'o4-mini-2025-04-16',
      finished: true,
      failed: false,
      text: 'Recalling the capital.Paris is the capital of France.',
    },
  },
  {
    file: 'openai/responses-stream-failed.sse',
    format: openAiWireFormat,
    operation: 'responses',
    expected: {
      kinds: [O, O, O, O, C, E],
      usage: undefined,
      responseModel: 'gpt-4.1-2025-04-14',
      finished: false,
      failed: true,
      text: 'Paris',
    },
  },
  {
    file: 'openai/responses-stream-error-event.sse',
    format: openAiWireFormat,
    operation: 'responses',
    expected: {
      kinds: [O, O, E],
      usage: undefined,
      responseModel: 'gpt-4.1-2025-04-14',
      finished: false,
      failed: true,
      text: '',
    },
  },
  {
    file: 'openai/responses-stream-incomplete.sse',
    format: openAiWireFormat,
    operation: 'responses',
    expected: {
      kinds: [O, O, C, C, O],
      usage: usage(42, 16, 0, 0, 0),
      responseModel: 'gpt-4.1-2025-04-14',
      finished: true,
      failed: false,
      text: 'Once upon a time, in a',
    },
  },
  {
    file: 'openai/responses-stream-function-call.sse',
    format: openAiWireFormat,
    operation: 'responses',
    expected: {
      kinds: [O, O, C, C, O, O, O],
      usage: usage(291, 23, 0, 0, 0),
      responseModel: 'gpt-4.1-2025-04-14',
      finished: true,
      failed: false,
      text: '{"location":"Paris"}',
    },
  },
  {
    file: 'anthropic/messages-stream-cache.sse',
    format: anthropicWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, O, O, C, C, O, O, O],
      usage: usage(2073, 15, 2048, 0, 0),
      responseModel: 'claude-sonnet-4-5-20250929',
      finished: true,
      failed: false,
      text: 'Hello! How can I help?',
    },
  },
  {
    file: 'anthropic/messages-stream-error-event.sse',
    format: anthropicWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, O, C, E],
      usage: usage(410, 1, 0, 0, 0),
      responseModel: 'claude-sonnet-4-5-20250929',
      finished: false,
      failed: true,
      text: 'Let me think',
    },
  },
  {
    file: 'anthropic/messages-stream-tool-use.sse',
    format: anthropicWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, O, C, O, C, O, C, C, O, O, O],
      usage: usage(1496, 89, 0, 1024, 0),
      responseModel: 'claude-sonnet-4-5-20250929',
      finished: true,
      failed: false,
      text: 'I\'ll check the weather.{"location": "San Francisco, CA"}',
    },
  },
  {
    file: 'anthropic/messages-stream-thinking.sse',
    format: anthropicWireFormat,
    operation: 'chat',
    expected: {
      kinds: [O, O, C, C, O, O, O, C, O, O, O],
      usage: usage(58, 96, 0, 0, 71),
      responseModel: 'claude-opus-4-1-20250805',
      finished: true,
      failed: false,
      text: 'The user asks for 27 * 453. 27 * 453 = 12231.27 × 453 = 12,231.',
    },
  },
];

describe('stream fixtures', () => {
  for (const { file, format, operation, expected } of streamCases) {
    describe(file, () => {
      const bytes = readFixture(file);

      it('yields the exact summary and event kinds', () => {
        expect(replay(format, operation, [bytes])).toEqual(expected);
      });

      it('yields the same fed one byte at a time', () => {
        expect(replay(format, operation, oneByteAtATime(bytes))).toEqual(expected);
      });

      it('yields the same with CRLF and with lone-CR line endings', () => {
        const text = new TextDecoder().decode(bytes).replaceAll('\r\n', '\n');
        expect(replay(format, operation, [text.replaceAll('\n', '\r\n')])).toEqual(expected);
        expect(replay(format, operation, [text.replaceAll('\n', '\r')])).toEqual(expected);
      });

      it('yields the same from decoded event objects, as an SDK hands them out', () => {
        const accumulator = format.createStreamAccumulator(operation);
        const kinds: StreamEventKind[] = [];
        const parser = new SseParser((event) => {
          // The SDKs consume `[DONE]` themselves; the accumulator then only sees chunk objects.
          if (event.data !== '[DONE]') kinds.push(accumulator.push(JSON.parse(event.data)));
        });
        parser.push(bytes);
        parser.end();
        const summary = accumulator.summary();
        const sawDone = new TextDecoder().decode(bytes).includes('data: [DONE]');
        expect(kinds).toEqual(sawDone ? expected.kinds.slice(0, -1) : expected.kinds);
        expect(summary.usage).toEqual(expected.usage);
        expect(summary.outputText()).toBe(expected.text);
        expect([summary.finished, summary.failed]).toEqual([expected.finished, expected.failed]);
      });
    });
  }

  // Every split position of a few streams: multi-byte characters, CRLF, `event:` lines.
  for (const file of [
    'openai/chat-stream-include-usage.sse',
    'openai/chat-stream-usage-on-last-chunk-crlf.sse',
    'anthropic/messages-stream-thinking.sse',
  ]) {
    it(`${file}: yields the same split in two at every byte`, () => {
      const found = streamCases.find((c) => c.file === file);
      if (found === undefined) throw new Error(`no case for ${file}`);
      const bytes = readFixture(file);
      for (let at = 0; at <= bytes.length; at++) {
        const result = replay(found.format, found.operation, [bytes.subarray(0, at), bytes.subarray(at)]);
        if (JSON.stringify(result) !== JSON.stringify(found.expected)) {
          expect({ at, result }).toEqual({ at, result: found.expected });
        }
      }
    });
  }
});

describe('JSON fixtures', () => {
  const cases: [string, WireFormat, Operation, Usage, string][] = [
    [
      'openai/chat-json-cached-reasoning.json',
      openAiWireFormat,
      'chat',
      usage(1850, 980, 1024, 0, 640),
      'o3-mini-2025-01-31',
    ],
    ['openai/responses-json.json', openAiWireFormat, 'responses', usage(1536, 212, 1280, 0, 192), 'o4-mini-2025-04-16'],
    ['openai/embeddings-json.json', openAiWireFormat, 'embeddings', usage(8, 0, 0, 0, 0), 'text-embedding-3-small'],
    [
      'anthropic/messages-json-cache.json',
      anthropicWireFormat,
      'chat',
      usage(9512, 350, 8000, 1500, 0),
      'claude-sonnet-4-5-20250929',
    ],
  ];
  for (const [file, format, operation, expectedUsage, model] of cases) {
    it(`${file}: usage and response model`, () => {
      const body = readJsonFixture(file);
      // A Responses API body also tells which response it is (its usage is counted once per id).
      const { responseState, ...summary } = format.parseResponse(operation, body);
      expect(summary).toEqual({ usage: expectedUsage, responseModel: model });
      if (operation === 'responses') expect(responseState).toMatchObject({ status: 'completed', background: false });
      else expect(responseState).toBeUndefined();
    });
  }
});
