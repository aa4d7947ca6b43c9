import { describe, expect, it } from 'vitest';
import { type CallEnd, callOutcome, type FollowedStream } from './call-outcome.js';
import type { Usage } from './record.js';
import { openAiWireFormat } from './wire/openai.js';
import type { StreamSummary } from './wire/wire-format.js';

const reported: Usage = { input: 20, output: 4, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
const requestBody = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello there' }] };

function stream(summary: Partial<StreamSummary>): FollowedStream {
  return {
    summary: {
      finished: false,
      failed: false,
      responseModel: 'gpt-4o-2024-08-06',
      outputText: () => 'Hi!',
      outputLength: () => 3,
      ...summary,
    },
    format: openAiWireFormat,
    operation: 'chat',
    model: 'gpt-4o',
    requestBody,
  };
}

const finished = stream({ finished: true, usage: reported });
const unfinished = stream({});
const failedInStream = stream({ failed: true });
const named = (name: string) => Object.assign(new Error(name), { name });
/** What the `openai` client throws at a chunk with `error` (OpenRouter's recorded one): no status, the event's error. */
const thrownAtErrorChunk = Object.assign(named('APIError'), {
  status: undefined,
  error: { code: 400, message: 'Token limit reached' },
});

describe('callOutcome: error_type', () => {
  it.each<[string, CallEnd, string | undefined]>([
    ['a complete JSON reply', { transport: 'complete', status: 200 }, undefined],
    ['a failure status', { transport: 'complete', status: 429 }, 'rate_limit'],
    ['a failure status wins over the caller leaving', { transport: 'aborted', status: 503 }, 'overloaded'],
    ['an SDK error carrying the status', { transport: 'failed', error: { status: 401 } }, 'auth'],
    ['a finished stream', { transport: 'complete', stream: finished }, undefined],
    ['a caller stopping after the provider’s end', { transport: 'aborted', stream: finished }, undefined],
    ['a cut after the provider’s end', { transport: 'failed', stream: finished }, undefined],
    ['an error event', { transport: 'complete', stream: failedInStream }, 'stream_error'],
    ['an error event, then the caller left', { transport: 'aborted', stream: failedInStream }, 'stream_error'],
    ['the caller stopping mid-stream', { transport: 'aborted', stream: unfinished }, 'aborted'],
    ['an abort error mid-stream', { transport: 'failed', error: named('AbortError'), stream: unfinished }, 'aborted'],
    [
      'a timeout mid-stream',
      { transport: 'failed', error: named('UpstreamTimeoutError'), stream: unfinished },
      'timeout',
    ],
    ['a cut mid-stream', { transport: 'failed', stream: unfinished }, 'stream_error'],
    [
      'an SDK error on the error event',
      { transport: 'failed', error: named('APIError'), stream: unfinished },
      'stream_error',
    ],
    ['a clean end with no end marker', { transport: 'complete', stream: unfinished }, 'stream_error'],
    [
      'an SDK error thrown at an error chunk after every choice finished',
      { transport: 'failed', error: thrownAtErrorChunk, stream: stream({ finished: true }) },
      'stream_error',
    ],
    [
      'a connection error after the provider’s end',
      { transport: 'failed', error: named('APIConnectionError'), stream: finished },
      undefined,
    ],
    ['no response, nothing more known', { transport: 'failed' }, 'network'],
    ['no response: a connection error', { transport: 'failed', error: named('APIConnectionError') }, 'network'],
    ['an SDK validation error', { transport: 'failed', error: new Error('missing model') }, 'other'],
    ['the caller stopping before the response', { transport: 'aborted' }, 'aborted'],
  ])('%s', (_name, end, errorType) => {
    expect(callOutcome(end).errorType).toBe(errorType);
  });
});

describe('callOutcome: usage', () => {
  it('takes the usage the provider reported, even from a stream that failed after it', () => {
    const outcome = callOutcome({ transport: 'failed', stream: stream({ usage: reported }), endedAt: 12 });
    expect(outcome).toEqual({
      errorType: 'stream_error',
      responseModel: 'gpt-4o-2024-08-06',
      usage: reported,
      usageSource: 'reported',
      endedAt: 12,
    });
  });

  it('counts a stream without usage locally: the prompt and the output seen so far', () => {
    const outcome = callOutcome({ transport: 'aborted', stream: unfinished });
    expect(outcome.errorType).toBe('aborted');
    expect(outcome.usageSource).toBe('estimated');
    // o200k_base: "Hello there" is 2 tokens, "Hi!" 2.
    expect(outcome.usage).toEqual({ input: 2, output: 2, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('reads a JSON reply’s usage, and never estimates one without', () => {
    const response = { usage: reported, responseModel: 'gpt-4o-2024-08-06' };
    expect(callOutcome({ transport: 'complete', status: 200, response })).toMatchObject({
      usage: reported,
      usageSource: 'reported',
    });
    expect(callOutcome({ transport: 'complete', status: 200, response: {} }).usage).toBeUndefined();
  });

  it('gives a failure status no usage', () => {
    expect(callOutcome({ transport: 'complete', status: 500, response: { usage: reported } })).toEqual({
      errorType: 'server_error',
    });
  });

  it('records a stream without usage when counting it fails, and says so', () => {
    const errors: unknown[] = [];
    const broken: FollowedStream = {
      ...unfinished,
      format: {
        ...openAiWireFormat,
        requestText: () => {
          throw new Error('tokenizer gone');
        },
      },
    };
    const outcome = callOutcome({ transport: 'complete', stream: broken, onError: (error) => errors.push(error) });
    expect(outcome).toEqual({ errorType: 'stream_error', responseModel: 'gpt-4o-2024-08-06' });
    expect(errors).toEqual([new Error('tokenizer gone')]);
  });
});
