import type { CallOutcome } from '@llmeter/core';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { type CallLogFields, callLine, logCall } from './call-log.js';

/** A logger with a fixed clock, so that two lines of the same call are the same text; it keeps what pino writes. */
function fixedLogger(level = 'info') {
  const written: string[] = [];
  const logger = pino(
    { name: 'llmeter', level, timestamp: () => ',"time":1700000000000' },
    { write: (line: string) => written.push(line) },
  );
  return { logger, written };
}

const base: CallLogFields = {
  upstream: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  model: 'gpt-4o',
  operation: 'chat',
  stream: false,
  status: 200,
  errorType: undefined,
  startedAt: 100,
  firstTokenAt: undefined,
  outcome: { endedAt: 112.345 } as CallOutcome,
  labels: undefined,
};

const hostile = `"quoted" \\ back\nslash\u0000 ${'x'.repeat(300)}`;

const cases: [string, CallLogFields][] = [
  ['a plain call', base],
  [
    'a call with usage, labels and a first token',
    {
      ...base,
      stream: true,
      firstTokenAt: 103.26,
      labels: { team: 'search', env: 'prod' },
      outcome: {
        endedAt: 150,
        responseModel: 'gpt-4o-2024-08-06',
        usage: { input: 12, output: 4 },
        usageSource: 'estimated',
      } as CallOutcome,
    },
  ],
  [
    'a failed call without a status or a model',
    { ...base, status: undefined, model: '', errorType: 'network', outcome: { endedAt: 101 } as CallOutcome },
  ],
  [
    'hostile values (quotes, control characters, a split surrogate pair, 300 characters)',
    {
      ...base,
      method: hostile,
      path: `/v1/${hostile}`,
      model: `${'a'.repeat(255)}${'😀'.repeat(10)}`,
      labels: { [hostile]: hostile },
      outcome: { endedAt: 200, responseModel: hostile, usage: { input: 1, output: 2 } } as CallOutcome,
    },
  ],
  [
    'numbers that are not finite',
    { ...base, status: 500, errorType: 'server_error', outcome: { endedAt: Number.NaN } as CallOutcome },
  ],
];

describe('a call line built by hand', () => {
  test.each(cases)('is the line pino writes for the same fields: %s', (_name, fields) => {
    const viaPino = fixedLogger();
    logCall(viaPino.logger, fields);
    const byHand = fixedLogger();
    logCall(byHand.logger, fields, (line) => byHand.written.push(line));
    expect(viaPino.written).toHaveLength(1);
    expect(byHand.written).toEqual(viaPino.written);
  });

  test('holds the fields a log reader expects, bounded', () => {
    const { logger } = fixedLogger();
    const fields = { ...base, model: 'm'.repeat(5000), outcome: { endedAt: 112.345, usage: { input: 3, output: 5 } } };
    const parsed = JSON.parse(callLine(logger, 'info', fields as CallLogFields)) as Record<string, unknown>;
    expect(parsed).toEqual({
      level: 30,
      time: 1700000000000,
      pid: process.pid,
      hostname: expect.any(String),
      name: 'llmeter',
      upstream: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
      model: `${'m'.repeat(256)}…[+4744 chars]`,
      operation: 'chat',
      stream: false,
      status: 200,
      duration_ms: 12.3,
      input_tokens: 3,
      output_tokens: 5,
      usage_source: 'reported',
      msg: 'llm call',
    });
  });

  test('is not written below the logger level (a failure at warn is)', () => {
    const { logger } = fixedLogger('warn');
    const written: string[] = [];
    logCall(logger, base, (line) => written.push(line));
    expect(written).toEqual([]);
    logCall(logger, { ...base, status: 500, errorType: 'server_error' }, (line) => written.push(line));
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0] as string)).toMatchObject({ level: 40, error_type: 'server_error' });
  });
});
