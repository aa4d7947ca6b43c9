import { describe, expect, it } from 'vitest';
import { goDuration, RateLimitWindows } from './rate-limit-headers.js';

const limits = { requests: 10, tokens: 1000, inputTokens: 800, outputTokens: 200, windowMs: 60_000 };
// 2026-01-01T00:00:00.250Z: the window opens here and ends on the next whole second past a minute.
const START = Date.UTC(2026, 0, 1, 0, 0, 0, 250);

describe('RateLimitWindows', () => {
  it("reports OpenAI's limits, what is left of them and the reset as a Go duration", () => {
    const windows = new RateLimitWindows({ openai: limits });
    windows.headers('openai', 'gpt-4o', { input: 300, output: 100 }, START);
    expect(windows.headers('openai', 'gpt-4o', { input: 500, output: 250 }, START + 750)).toEqual({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '8',
      'x-ratelimit-reset-requests': '1m0s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m0s',
    });
  });

  it("reports Anthropic's four limits with the reset as an RFC 3339 instant in whole seconds", () => {
    const windows = new RateLimitWindows({ anthropic: limits });
    const headers = windows.headers('anthropic', 'claude-haiku-4-5', { input: 300, output: 50 }, START);
    expect(headers).toEqual({
      'anthropic-ratelimit-requests-limit': '10',
      'anthropic-ratelimit-requests-remaining': '9',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:01:01Z',
      'anthropic-ratelimit-tokens-limit': '1000',
      'anthropic-ratelimit-tokens-remaining': '650',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:01:01Z',
      'anthropic-ratelimit-input-tokens-limit': '800',
      'anthropic-ratelimit-input-tokens-remaining': '500',
      'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:01:01Z',
      'anthropic-ratelimit-output-tokens-limit': '200',
      'anthropic-ratelimit-output-tokens-remaining': '150',
      'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:01:01Z',
    });
    expect(windows.retryAfter('anthropic', 'claude-haiku-4-5', START)).toBe('61');
  });

  it('prints durations as Go does', () => {
    expect([0, 120, 59_500, 360_000, 3_723_000].map(goDuration)).toEqual(['0s', '120ms', '59.5s', '6m0s', '1h2m3s']);
  });
});
