import { beforeEach, describe, expect, test } from 'vitest';
import { settled, useHarness } from './proxy-harness.js';

// claude-sonnet-4-6, per million tokens: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
const SONNET = { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 };
// Normalized: input counts every prompt token (cache reads and writes included).
const usage = { input: 1000, output: 400, cachedInput: 300, cacheWrite: 200 };
const expectedCost =
  ((1000 - 300 - 200) * SONNET.input + 300 * SONNET.cacheRead + 200 * SONNET.cacheWrite + 400 * SONNET.output) / 1e6;
const labels = { provider: 'anthropic', model: 'claude-sonnet-4-6', operation: 'chat' };
const request = { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hi' }] };

const h = useHarness();
beforeEach(() => h.simulator.reset());

describe('Anthropic messages through the /anthropic route', () => {
  test('a JSON reply: routed, tokens by type and cost exact', async () => {
    h.simulator.enqueue({ usage, text: 'Hello!' });
    const message = await h.anthropic().messages.create(request);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello!' });
    // `/anthropic/v1/messages` reached the upstream as `/v1/messages`, credentials untouched.
    const received = h.simulator.requests[0];
    expect(received?.path).toBe('/v1/messages');
    // This SDK sends its key as a bearer token; either way, credentials pass through untouched.
    expect(received?.headers.authorization ?? received?.headers['x-api-key']).toMatch(/sk-ant-test-key$/);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(1000);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(400);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'cached_input' })).toBe(300);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'cache_write' })).toBe(200);
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(expectedCost, 12);
  });

  test('a stream: usage from message_start and message_delta, time to first token, exact cost', async () => {
    h.simulator.enqueue({ usage, chunks: ['Hel', 'lo!'] });
    const stream = h.anthropic().messages.stream(request);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('Hello!');
    expect(final.usage.output_tokens).toBe(400);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(2);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(2000);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(800);
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(2 * expectedCost, 12);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(await h.sum('llm_usage_estimated_total', labels)).toBe(0);
    expect(await h.sum('llm_requests_in_flight')).toBe(0);
  });

  test('an error event inside a stream is a stream_error', async () => {
    h.simulator.enqueue({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 1 });
    const stream = h.anthropic().messages.stream(request);
    await expect(stream.finalMessage()).rejects.toThrow();
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...labels, error_type: 'stream_error' })).toBe(1);
  });
});
