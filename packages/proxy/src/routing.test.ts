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
    ['/azure/models/ft%3Agpt%2D4o', 'azure', '/models/ft%3Agpt%2D4o', '/openai/models/ft%3Agpt%2D4o'],
    ['/azure/caf%C3%A9/.well/a;b', 'azure', '/caf%C3%A9/.well/a;b', '/openai/caf%C3%A9/.well/a;b'],
    ['/azure/100%25/x', 'azure', '/100%25/x', '/openai/100%25/x'],
    ['/azure/%25zz/x', 'azure', '/%25zz/x', '/openai/%25zz/x'],
    ['/azure/', 'azure', '/', '/openai/'],
    ['/v1/x?q=%2e%2e/../%zz', 'openai', '/v1/x', '/v1/x?q=%2e%2e/../%zz'],
  ])('%s → %s %s (sent as %s)', (target, upstream, apiPath, upstreamPath) => {
    expect(route(target)).toMatchObject({ upstream: { name: upstream }, apiPath, upstreamPath });
  });

  test.each([
    ['http://evil.example/v1/chat/completions', 'must be a path'],
    ['//evil.example/v1', 'must be a path'],
    ['*', 'must be a path'],
    ['/azure/../../etc', '"." or ".." segments'],
    ['/azure/%2E%2E/x', '"." or ".." segments'],
    ['/v1/.%2e/x', '"." or ".." segments'],
    ['/a/./b', '"." or ".." segments'],
    ['/azure/%252e%252e/x', '"." or ".." segments'],
    ['/azure/%2525252E%2525252E/x', '"." or ".." segments'],
    ['/azure/x/..;jsessionid=1/admin', '"." or ".." segments'],
    ['/azure/x/%2e%2e%3bx/admin', '"." or ".." segments'],
    ['/azure/%2e%2e/%2e%2e/admin%zz', '"." or ".." segments'],
    ['/azure/admin%zz', 'malformed percent-escape'],
    ['/azure/admin%2', 'malformed percent-escape'],
    ['/azure/admin%', 'malformed percent-escape'],
    ['/openai//host/x', 'empty segments'],
    ['/azure/v1//x', 'empty segments'],
    ['/a\\..\\b', '"\\"'],
    ['/azure/a\\b', '"\\"'],
    ['/azure/..%2fadmin', 'percent-encoded "/"'],
    ['/azure/a%2Fb', 'percent-encoded "/"'],
    ['/azure/a%5Cb', 'percent-encoded "/"'],
    ['/azure/a%252fb', 'percent-encoded "/"'],
    ['/azure/%c0%ae%c0%ae/x', 'UTF-8'],
    ['/azure/%ff', 'UTF-8'],
    ['/azure/a%00b', 'control characters'],
    ['/azure/a%0d%0aX:%201', 'control characters'],
    ['/azure/x#/../../admin', 'fragment'],
    ['/azure/..#', 'fragment'],
  ])('refuses %s (%s)', (target, why) => {
    const result = router.route(target);
    expect(isRejection(result) ? result.rejected : 'forwarded').toContain(why);
  });
});
