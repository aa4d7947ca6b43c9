import { describe, expect, test } from 'vitest';
import { resolveConfig } from './config.js';
import { isRejection, type Route, Router } from './routing.js';

const { upstreams } = resolveConfig({
  upstreams: {
    openai: 'https://api.openai.com',
    anthropic: 'https://api.anthropic.com',
    azure: 'https://x.example/openai/',
  },
});
const router = new Router(upstreams);

function route(target: string): Route {
  const result = router.route(target);
  if (isRejection(result)) throw new Error(result.rejected);
  return result;
}

describe('Router', () => {
  test.each([
    ['/v1/chat/completions', 'openai', '/v1/chat/completions', '/v1/chat/completions'],
    ['/anthropic/v1/messages', 'anthropic', '/v1/messages', '/v1/messages'],
    ['/anthropic', 'anthropic', '/', '/'],
    ['/openai/v1/models?limit=2', 'openai', '/v1/models', '/v1/models?limit=2'],
    [
      '/azure/deployments/d/chat/completions?api-version=1',
      'azure',
      '/deployments/d/chat/completions',
      '/openai/deployments/d/chat/completions?api-version=1',
    ],
    ['/anthropicx/v1/messages', 'openai', '/anthropicx/v1/messages', '/anthropicx/v1/messages'],
    ['/v1/files/file..name', 'openai', '/v1/files/file..name', '/v1/files/file..name'],
  ])('%s → %s %s (sent as %s)', (target, upstream, apiPath, upstreamPath) => {
    expect(route(target)).toMatchObject({ upstream: { name: upstream }, apiPath, upstreamPath });
  });

  test.each([
    'http://evil.example/v1/chat/completions',
    '//evil.example/v1',
    '*',
    '/azure/../../etc',
    '/azure/%2E%2E/x',
    '/v1/.%2e/x',
    '/a/./b',
    '/a\\..\\b',
  ])('refuses %s', (target) => {
    expect(isRejection(router.route(target))).toBe(true);
  });
});
