import { describe, expect, test } from 'vitest';
import { ConfigError, configFromDocument, parseUpstreamPairs, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  test('defaults', () => {
    const config = resolveConfig();
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8787);
    expect(config.upstreams.map((u) => [u.name, u.url.href])).toEqual([
      ['openai', 'https://api.openai.com/'],
      ['anthropic', 'https://api.anthropic.com/'],
    ]);
    expect(config.streamUsage).toBe('inject');
  });

  test('later layers win field by field; nested limits merge', () => {
    const config = resolveConfig(
      { port: 1, host: 'a', limits: { requestBodyBytes: 10 } },
      { port: 2, limits: { responseBodyBytes: 20 } },
      { port: undefined },
    );
    expect(config.port).toBe(2);
    expect(config.host).toBe('a');
    expect(config.limits).toEqual({ requestBodyBytes: 10, responseBodyBytes: 20 });
  });

  test.each([
    [{ port: 70000 }, 'port'],
    [{ upstreams: { 'bad/name': 'http://x' } }, 'upstream name'],
    [{ upstreams: { a: 'not a url' } }, 'not a URL'],
    [{ upstreams: { a: 'http://user:pw@x' } }, 'credentials'],
    [{ upstreams: {} }, 'at least one'],
    [{ labelHeaders: ['has-dash'] }, 'label'],
    [{ streamUsage: 'sometimes' as 'inject' }, 'streamUsage'],
    [{ timeouts: { upstreamMs: 0 } }, 'upstreamMs'],
  ])('rejects %j', (input, message) => {
    expect(() => resolveConfig(input)).toThrow(ConfigError);
    expect(() => resolveConfig(input)).toThrow(message);
  });
});

describe('config file documents', () => {
  test('every setting', () => {
    const input = configFromDocument({
      port: 9000,
      upstreams: { local: 'http://127.0.0.1:8000' },
      labelHeaders: ['team'],
      prices: { 'my-model': { input: 1, output: 2 } },
      limits: { requestBodyBytes: 100, models: 10 },
      timeouts: { shutdownMs: 1 },
    });
    expect(input).toMatchObject({
      port: 9000,
      upstreams: { local: 'http://127.0.0.1:8000' },
      labelHeaders: ['team'],
      prices: { 'my-model': { input: 1, output: 2 } },
      limits: { requestBodyBytes: 100 },
      cardinality: { models: 10 },
      timeouts: { shutdownMs: 1 },
    });
  });

  test.each([[[]], [{ nope: 1 }], [{ upstreams: ['x'] }], [{ limits: { requestBodyBytes: '1' } }], [{ port: '80' }]])(
    'rejects %j',
    (document) => {
      expect(() => configFromDocument(document)).toThrow(ConfigError);
    },
  );

  test('--upstream pairs keep their order and refuse duplicates', () => {
    expect(Object.keys(parseUpstreamPairs(['b=http://b', 'a=http://a=x']))).toEqual(['b', 'a']);
    expect(parseUpstreamPairs(['a=http://a=x']).a).toBe('http://a=x');
    expect(() => parseUpstreamPairs(['a=http://a', 'a=http://b'])).toThrow(ConfigError);
    expect(() => parseUpstreamPairs(['nourl'])).toThrow(ConfigError);
  });
});
