import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goDurationSeconds, RateLimitBook, readRateLimits } from './rate-limits.js';

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

describe('RateLimitBook', () => {
  const OPENAI = {
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '120ms',
  };

  function shown(book: RateLimitBook): Record<string, [number | undefined, number | undefined, number | undefined]> {
    return Object.fromEntries(
      book.entries.map((entry) => [
        `${entry.labels.provider}/${entry.labels.model}/${entry.labels.resource}`,
        [entry.limit, entry.remaining, entry.resetSeconds],
      ]),
    );
  }

  it('keeps the latest value of each field that parsed, per provider, model and resource', () => {
    const book = new RateLimitBook();
    expect(book.observe('openai', 'gpt-4o', lookup({}), NOW)).toBe(false);
    expect(book.observe('openai', 'gpt-4o', lookup(OPENAI), NOW)).toBe(true);
    // The same texts again, then a response whose remaining moved and whose limit does not parse.
    book.observe('openai', 'gpt-4o', lookup(OPENAI), NOW);
    book.observe(
      'openai',
      'gpt-4o',
      lookup({ ...OPENAI, 'x-ratelimit-limit-requests': 'many', 'x-ratelimit-remaining-requests': '7' }),
      NOW,
    );
    book.observe('openai', 'gpt-4o-mini', lookup({ 'x-ratelimit-remaining-tokens': '10' }), NOW);
    expect(shown(book)).toEqual({
      'openai/gpt-4o/requests': [500, 7, 0.12],
      'openai/gpt-4o-mini/tokens': [undefined, 10, undefined],
    });
  });

  it("counts an unchanged Anthropic reset instant from each response's arrival", () => {
    const book = new RateLimitBook();
    const headers = lookup({ 'anthropic-ratelimit-tokens-reset': '2026-11-30T05:00:10Z' });
    book.observe('anthropic', 'claude', headers, NOW);
    expect(book.entries[0]?.resetSeconds).toBe(10);
    book.observe('anthropic', 'claude', headers, NOW + 4000);
    expect(book.entries[0]?.resetSeconds).toBe(6);
    // A reset that does not parse leaves the last one as it was reported.
    book.observe('anthropic', 'claude', lookup({ 'anthropic-ratelimit-tokens-reset': 'soon' }), NOW + 9000);
    expect(book.entries[0]?.resetSeconds).toBe(6);
  });

  it('forgets one field, or everything', () => {
    const book = new RateLimitBook();
    book.observe('openai', 'gpt-4o', lookup(OPENAI), NOW);
    book.clear('remaining');
    expect(shown(book)).toEqual({ 'openai/gpt-4o/requests': [500, undefined, 0.12] });
    // Forgotten, so the same text is read again.
    book.observe('openai', 'gpt-4o', lookup(OPENAI), NOW);
    expect(shown(book)).toEqual({ 'openai/gpt-4o/requests': [500, 499, 0.12] });
    book.clear();
    expect(book.entries).toEqual([]);
  });

  it('shows what reading every response with readRateLimits and keeping the latest values would', () => {
    const names = [
      ...['requests', 'tokens'].flatMap((resource) =>
        ['limit', 'remaining', 'reset'].map((field) => `x-ratelimit-${field}-${resource}`),
      ),
      ...['requests', 'tokens', 'input-tokens', 'output-tokens'].flatMap((resource) =>
        ['limit', 'remaining', 'reset'].map((field) => `anthropic-ratelimit-${resource}-${field}`),
      ),
    ];
    const value = fc.constantFrom('0', '7', ' 12 ', '1e3', '-1', '6m0s', '12ms', 'x', '2026-11-30T05:00:09Z', '');
    const response = fc.record({
      headers: fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 8 }),
      at: fc.integer({ min: 0, max: 20_000 }),
    });
    fc.assert(
      fc.property(fc.array(response, { maxLength: 12 }), (responses) => {
        const book = new RateLimitBook();
        const expected = new Map<string, [number | undefined, number | undefined, number | undefined]>();
        for (const { headers, at } of responses) {
          book.observe('p', 'm', lookup(headers), NOW + at);
          for (const reading of readRateLimits(lookup(headers), NOW + at).readings) {
            const last = expected.get(reading.resource) ?? [undefined, undefined, undefined];
            expected.set(reading.resource, [
              reading.limit ?? last[0],
              reading.remaining ?? last[1],
              reading.resetSeconds ?? last[2],
            ]);
          }
        }
        const byResource = Object.fromEntries(
          Object.entries(shown(book)).map(([key, values]) => [key.split('/')[2], values]),
        );
        expect(byResource).toEqual(Object.fromEntries(expected));
      }),
      { numRuns: 300 },
    );
  });
});
