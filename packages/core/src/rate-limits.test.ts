import { describe, expect, it } from 'vitest';
import { goDurationSeconds, readRateLimits } from './rate-limits.js';

const lookup =
  (headers: Record<string, string>) =>
  (name: string): string | undefined =>
    headers[name];

const NOW = Date.parse('2026-11-30T05:00:00Z');

describe('goDurationSeconds', () => {
  it.each([
    ['6m0s', 360],
    ['12ms', 0.012],
    ['1h2m3.5s', 3723.5],
    ['0s', 0],
    ['0', 0],
    ['1.5s', 1.5],
    ['20ms', 0.02],
    ['7m12s', 432],
    ['250us', 0.00025],
    ['250µs', 0.00025],
    ['3000ns', 0.000003],
  ])('%s is %d s', (text, seconds) => {
    expect(goDurationSeconds(text)).toBeCloseTo(seconds, 12);
  });

  it.each(['', 's', '6m0', '12 ms', '-1s', 'abc', '1d', '6m0sx'])('refuses %j', (text) => {
    expect(goDurationSeconds(text)).toBeUndefined();
  });
});

describe('readRateLimits', () => {
  it("reads OpenAI's headers, resets as durations", () => {
    const limits = readRateLimits(
      lookup({
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29650',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
      NOW,
    );
    expect(limits).toEqual({
      readings: [
        { resource: 'requests', limit: 500, remaining: 499, resetSeconds: 0.12 },
        { resource: 'tokens', limit: 30000, remaining: 29650, resetSeconds: 360 },
      ],
      retryAfterSeconds: undefined,
    });
  });

  it("reads Anthropic's four resources, resets as RFC 3339 instants from now", () => {
    const limits = readRateLimits(
      lookup({
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-11-30T05:00:01Z',
        'anthropic-ratelimit-tokens-limit': '90000',
        'anthropic-ratelimit-tokens-remaining': '80000',
        'anthropic-ratelimit-tokens-reset': '2026-11-30T05:00:06.500Z',
        'anthropic-ratelimit-input-tokens-limit': '80000',
        'anthropic-ratelimit-input-tokens-remaining': '72000',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-30T06:00:00+01:00',
        'anthropic-ratelimit-output-tokens-limit': '10000',
        'anthropic-ratelimit-output-tokens-remaining': '8000',
        'anthropic-ratelimit-output-tokens-reset': '2026-11-30T04:59:00Z',
        'retry-after': '7',
      }),
      NOW,
    );
    expect(limits).toEqual({
      readings: [
        { resource: 'requests', limit: 50, remaining: 49, resetSeconds: 1 },
        { resource: 'tokens', limit: 90000, remaining: 80000, resetSeconds: 6.5 },
        // 06:00+01:00 is 05:00Z: now.
        { resource: 'input_tokens', limit: 80000, remaining: 72000, resetSeconds: 0 },
        // Already past: 0, never negative.
        { resource: 'output_tokens', limit: 10000, remaining: 8000, resetSeconds: 0 },
      ],
      retryAfterSeconds: 7,
    });
  });

  it('leaves out what a response does not say, and does not guess what does not parse', () => {
    expect(readRateLimits(lookup({}), NOW)).toEqual({ readings: [], retryAfterSeconds: undefined });
    expect(
      readRateLimits(
        lookup({
          'x-ratelimit-remaining-tokens': '-5',
          'x-ratelimit-reset-tokens': 'soon',
          'anthropic-ratelimit-requests-limit': '1e3',
          'anthropic-ratelimit-requests-reset': 'tomorrow',
          'retry-after': 'Mon, 30 Nov 2026 05:00:30 GMT',
        }),
        NOW,
      ),
    ).toEqual({
      readings: [
        { resource: 'tokens', limit: undefined, remaining: undefined, resetSeconds: undefined },
        { resource: 'requests', limit: undefined, remaining: undefined, resetSeconds: undefined },
      ],
      retryAfterSeconds: 30,
    });
    expect(readRateLimits(lookup({ 'retry-after': 'later' }), NOW).retryAfterSeconds).toBeUndefined();
  });
});
