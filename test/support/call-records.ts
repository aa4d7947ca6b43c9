import type { CallRecord, Meter, Usage } from '@llmeter/core';

/** Token counts with every type at 0 but those given. */
export function usage(fields: Partial<Usage>): Usage {
  return { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0, ...fields };
}

/** A record's fields, with its duration and time to first token in seconds instead of start and end times. */
export type TimedCallFields = Partial<CallRecord> & { seconds: number; ttftSeconds?: number };

/**
 * Records one OpenAI `gpt-4o` chat call lasting `seconds` (a stream when `ttftSeconds` is given), with `fields`
 * overriding the defaults; usage counts as reported when given, as missing otherwise.
 */
export function recordTimedCall(meter: Meter, fields: TimedCallFields): void {
  const { seconds, ttftSeconds, ...rest } = fields;
  meter.record({
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    stream: ttftSeconds !== undefined,
    startedAt: 1000,
    endedAt: 1000 + seconds * 1000,
    firstTokenAt: ttftSeconds === undefined ? undefined : 1000 + ttftSeconds * 1000,
    usageSource: rest.usage ? 'reported' : 'none',
    ...rest,
  });
}
