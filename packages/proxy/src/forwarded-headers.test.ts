import { createMeter } from '@llmeter/core';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { forwardedRequestHeaders, forwardedResponseHeaders, hasRateLimitHeaders } from './forwarded-headers.js';

describe('rate-limit headers', () => {
  test('every header name the meter reads rate limits from is one hasRateLimitHeaders looks for', () => {
    const asked = new Set<string>();
    createMeter({ registry: new Registry() }).observeRateLimits('openai', 'gpt-4o', (name) => {
      asked.add(name);
      return undefined;
    });
    expect(asked.size).toBeGreaterThan(6);
    for (const name of asked) {
      expect(hasRateLimitHeaders(['Content-Type', 'application/json', name.toUpperCase(), '1']), name).toBe(true);
    }
  });

  test('a response without them has none', () => {
    const raw = [
      'Content-Type',
      'application/json',
      'X-Request-Id',
      'r1',
      'Authorization-Hint',
      'x',
      'x-ratelimit',
      '1',
    ];
    expect(hasRateLimitHeaders(raw)).toBe(false);
    expect(hasRateLimitHeaders([])).toBe(false);
  });
});

describe('forwarded headers', () => {
  test('a Connection header takes the headers it names out, wherever they are, and is dropped itself', () => {
    const raw = ['X-Before', 'a', 'Accept', 'json', 'Connection', 'X-Before, keep-alive', 'Content-Length', '3'];
    expect(forwardedRequestHeaders(raw, 'api.example', new Map(), 5).headers).toEqual([
      'host',
      'api.example',
      'Accept',
      'json',
      'content-length',
      '5',
    ]);
    expect(forwardedResponseHeaders([...raw, 'connection', 'close, X-After', 'X-After', 'b'], false)).toEqual([
      'Accept',
      'json',
      'Content-Length',
      '3',
    ]);
  });

  test('label headers are read only when label names are allowed', () => {
    const raw = ['x-llmeter-label-team', 'search', 'Accept', 'json'];
    expect(forwardedRequestHeaders(raw, 'h', new Map(), undefined)).toEqual({
      headers: ['host', 'h', 'Accept', 'json'],
      labels: undefined,
    });
    expect(forwardedRequestHeaders(raw, 'h', new Map([['team', 'team']]), undefined).labels).toEqual({
      team: 'search',
    });
  });
});
