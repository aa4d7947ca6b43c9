import { afterEach, describe, expect, it } from 'vitest';
import { type ProxyHarness, settled, startHarness } from '../proxy/proxy-harness.js';
import { findSamples, sampleSum } from '../support/prometheus-text.js';
import { promtoolCheckMetrics } from '../support/promtool.js';
import { rawRequest } from '../support/raw-request.js';
import { UNREACHABLE_UPSTREAM_URL } from '../support/unreachable-upstream.js';

const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hi' }] };

describe("the proxy's own health", () => {
  let harness: ProxyHarness;
  afterEach(async () => harness.close());

  it('counts refusals by reason, unreachable upstreams and its own overhead, and /metrics passes promtool with no word', async () => {
    harness = await startHarness(
      { processMetrics: true, limits: { requestBodyBytes: 4096 } },
      { dead: UNREACHABLE_UPSTREAM_URL },
    );
    const { proxy } = harness;
    const openai = harness.openai();
    // Three calls that reach an upstream and get its headers: two JSON, one stream, one of them a 429.
    await openai.chat.completions.create(chat);
    const stream = await openai.chat.completions.create({ ...chat, stream: true });
    for await (const _ of stream) {
      // drained
    }
    harness.simulator.enqueue({ status: 429 });
    await expect(openai.chat.completions.create(chat)).rejects.toMatchObject({ status: 429 });
    // Two unreachable upstream calls.
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${proxy.url}/dead/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
      expect(response.status).toBe(502);
    }
    // Refusals: a body over the limit, a target with dot segments, a foreign Host on /metrics, bytes that are
    // not HTTP, a WebSocket upgrade.
    const large = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat, padding: 'x'.repeat(8192) }),
    });
    expect(large.status).toBe(413);
    expect((await rawRequest(proxy.url, 'GET /v1/%2e%2e/admin HTTP/1.1\r\nHost: 127.0.0.1')).status).toBe(400);
    expect((await rawRequest(proxy.url, 'GET /metrics HTTP/1.1\r\nHost: attacker.example')).status).toBe(403);
    expect((await rawRequest(proxy.url, 'NOT HTTP AT ALL')).status).toBe(400);
    expect(
      (
        await rawRequest(
          proxy.url,
          'GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket',
        )
      ).status,
    ).toBe(501);
    await settled(harness);

    const text = await harness.metrics();
    expect(
      Object.fromEntries(findSamples(text, 'llm_proxy_refused_total').map((s) => [s.labels.reason, s.value])),
    ).toEqual({
      request_too_large: 1,
      invalid_request_target: 1,
      host_not_allowed: 1,
      malformed_request: 1,
      upgrade_not_supported: 1,
    });
    expect(findSamples(text, 'llm_proxy_upstream_connection_errors_total')).toEqual([
      { name: 'llm_proxy_upstream_connection_errors_total', labels: { provider: 'dead' }, value: 2 },
    ]);
    // One observation per call whose response headers the proxy passed on; none for the unreachable ones.
    expect(sampleSum(text, 'llm_proxy_overhead_seconds_count', { provider: 'openai' })).toBe(3);
    expect(sampleSum(text, 'llm_proxy_overhead_seconds_count', { provider: 'dead' })).toBe(0);
    const overhead = sampleSum(text, 'llm_proxy_overhead_seconds_sum', { provider: 'openai' });
    expect(overhead).toBeGreaterThan(0);
    // The proxy's own work on loopback is far below the time of the calls themselves.
    expect(overhead).toBeLessThan(sampleSum(text, 'llm_request_duration_seconds_sum', { provider: 'openai' }));
    // The standard process metrics are all there…
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_active_handles',
    ]) {
      expect(findSamples(text, name).length, name).toBeGreaterThan(0);
    }
    // … less the gauges named like counters that promtool rejects.
    expect(text).not.toMatch(/^nodejs_active_\w+_total/m);

    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
  });
});
