import { describe, expect, test } from 'vitest';
import { useHarness } from '../proxy/proxy-harness.js';
import { rawRequest } from '../support/raw-request.js';

// DNS rebinding: a page on attacker.example re-resolves its name to 127.0.0.1, and the user's browser then sends
// it to a loopback proxy, with `Host: attacker.example:PORT`. The proxy's own routes (metrics, dashboard) must not
// answer such requests; `/healthz` (load balancers probe it with any Host) and proxied calls are untouched.

const h = useHarness({
  allowedHosts: ['metrics.internal', '.svc.cluster.local'],
  dashboard: { intervalMs: 60_000 },
});

function get(path: string, host: string) {
  return rawRequest(h.proxy.url, `GET ${path} HTTP/1.1\r\nhost: ${host}`);
}

const OWN_ROUTES = ['/metrics', '/dashboard', '/dashboard/', '/dashboard/data', '/dashboard/uplot.js'];

describe("the proxy's own routes answer only to its own names", () => {
  test.each(OWN_ROUTES)('%s refuses a rebound Host with 403 and says how to allow it', async (path) => {
    const reply = await get(path, `attacker.example:${h.proxy.port}`);
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.text)).toEqual({
      error:
        `forbidden: this proxy's own routes do not answer to the host "attacker.example:${h.proxy.port}" (a DNS ` +
        'rebinding guard). To allow it, start the proxy with --allowed-host attacker.example (allowedHosts in the ' +
        'config file)',
    });
  });

  test.each([
    '127.0.0.1:PORT',
    'localhost:PORT',
    '[::1]:PORT',
    'LOCALHOST',
    'metrics.internal:PORT',
    'llmeter.default.svc.cluster.local:PORT',
  ])('/metrics and the dashboard answer Host %s', async (host) => {
    for (const path of ['/metrics', '/dashboard/data']) {
      const reply = await get(path, host.replace('PORT', String(h.proxy.port)));
      expect(reply.status, path).toBe(200);
    }
  });

  test('a malformed Host is refused too', async () => {
    expect((await get('/metrics', '127.0.0.1:80:80')).status).toBe(403);
  });

  test('/healthz answers any Host (load balancers probe with their own)', async () => {
    const reply = await get('/healthz', 'lb-probe.example');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ status: 'ok' });
  });

  test('proxied calls are untouched: the Host header never chose anything', async () => {
    const reply = await rawRequest(
      h.proxy.url,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: attacker.example\r\ncontent-type: application/json',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(reply.status).toBe(200);
  });
});
