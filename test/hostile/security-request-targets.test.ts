import { beforeEach, describe, expect, test } from 'vitest';
import { useHarness } from '../proxy/proxy-harness.js';
import { captureLog } from '../support/captured-log.js';
import { rawRequest } from '../support/raw-request.js';

// Request targets sent byte for byte (fetch and node:http would resolve or refuse some of them) to a proxy whose
// `based` upstream has a base path: none of the tricks may reach the upstream, every refusal is a 400 the proxy
// logs, and ordinary paths with dots, escapes and non-ASCII still go through unchanged.

const log = captureLog('info');
// The `based` upstream is the simulator under /base/: nothing may reach it outside /base/.
const h = useHarness({ logger: log.logger }, (simulatorUrl) => ({ based: `${simulatorUrl}/base/` }));
beforeEach(() => {
  h.simulator.reset();
  log.clear();
});

function post(target: string) {
  return rawRequest(
    h.proxy.url,
    `POST ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json`,
    '{"model":"gpt-4o","messages":[]}',
  );
}

describe('request targets that could leave the upstream base path are refused', () => {
  test.each([
    ['encoded dots and a malformed escape', '/based/%2e%2e/%2e%2e/admin%zz'],
    ['encoded dots, upper case', '/based/%2E%2E/admin'],
    ['one dot plain, one encoded', '/based/.%2e/admin'],
    ['a malformed escape alone', '/based/admin%zz'],
    ['a truncated escape', '/based/admin%2'],
    ['an empty segment after the upstream name', '/openai//host/x'],
    ['an empty segment later on', '/based/v1//chat/completions'],
    ['an encoded slash', '/based/..%2fadmin'],
    ['an encoded slash, upper case', '/based/a%2Fb'],
    ['an encoded backslash', '/based/..%5cadmin'],
    ['a raw backslash', '/based/a\\..\\admin'],
    ['double encoding', '/based/%252e%252e/admin'],
    ['triple encoding', '/based/%25252e%25252e/admin'],
    ['a path parameter after dots', '/based/x/..;/admin'],
    ['overlong UTF-8 dots', '/based/%c0%ae%c0%ae/admin'],
    ['an encoded NUL', '/based/admin%00.json'],
    ['an encoded line break', '/based/admin%0d%0aX-Injected:%201'],
  ])('%s: %s', async (_trick, target) => {
    const reply = await post(target);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error.code).toBe('invalid_request_target');
    expect(h.simulator.requests).toEqual([]);
    // Recorded as every refusal is: one warn line, without the target.
    const refusals = log.records().filter((line) => line.error === 'invalid_request_target');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ level: 40, method: 'POST' });
  });
});

describe('ordinary targets still go through unchanged', () => {
  test.each([
    ['/based/v1/files/file..name', '/base/v1/files/file..name'],
    ['/based/v1/models/ft%3Agpt-4o%3Aorg', '/base/v1/models/ft%3Agpt-4o%3Aorg'],
    ['/based/caf%C3%A9/.well', '/base/caf%C3%A9/.well'],
    ['/based/v1/chat/completions/', '/base/v1/chat/completions/'],
    ['/based', '/base/'],
    ['/v1/chat/completions?next=%2e%2e%2f%zz', '/v1/chat/completions?next=%2e%2e%2f%zz'],
  ])('%s is sent as %s', async (target, sent) => {
    await post(target);
    expect(h.simulator.requests.map((request) => request.url)).toEqual([sent]);
  });
});
