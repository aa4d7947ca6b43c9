import { describe, expect, test } from 'vitest';
import { settled, useHarness } from './proxy-harness.js';

// Ollama reads its body as JSON whatever it is labelled, and its clients label it loosely (`text/plain`, or no
// `Content-Type` at all): the proxy reads the model from the body all the same, within the same size limit.
const h = useHarness({ limits: { requestBodyBytes: 4096 } }, (url) => ({ ollama: url }));

async function post(path: string, body: string, contentType: string | undefined): Promise<Response> {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  // Bytes, not a string: fetch labels a string body `text/plain` itself.
  return fetch(`${h.proxy.url}/ollama${path}`, { method: 'POST', headers, body: new TextEncoder().encode(body) });
}

describe('Ollama bodies not labelled JSON', () => {
  test.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['no content type', undefined],
    ['form-urlencoded (curl -d)', 'application/x-www-form-urlencoded'],
  ])('/api/chat with %s: the model comes from the body, the body reaches Ollama as it was', async (_, type) => {
    await h.registry.resetMetrics();
    h.simulator.reset();
    const body = JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false });
    const response = await post('/api/chat', body, type);
    expect(response.status).toBe(200);
    const reply = (await response.json()) as { prompt_eval_count: number; eval_count: number };
    expect([reply.prompt_eval_count, reply.eval_count]).toEqual([10, 5]);
    expect(h.simulator.requests[0]?.rawBody.toString('utf8')).toBe(body);
    expect(h.simulator.requests[0]?.headers['content-type']).toBe(type);
    await settled(h);
    const labels = { provider: 'ollama', model: 'llama3.2', operation: 'chat' };
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_requests_total')).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(10);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(5);
  });

  test('/api/generate streamed (the default) as text/plain: model, NDJSON stream and time to first token', async () => {
    await h.registry.resetMetrics();
    h.simulator.reset();
    const response = await post('/api/generate', JSON.stringify({ model: 'qwen2.5:0.5b', prompt: 'Hi' }), 'text/plain');
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    await settled(h);
    const labels = { provider: 'ollama', model: 'qwen2.5:0.5b', operation: 'text_completion' };
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(10);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(5);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
  });

  test('a text/plain body over the request limit is refused (413), as a JSON one is, and never forwarded', async () => {
    await h.registry.resetMetrics();
    h.simulator.reset();
    const body = JSON.stringify({ model: 'llama3.2', prompt: 'x'.repeat(8192) });
    const response = await post('/api/generate', body, 'text/plain');
    expect(response.status).toBe(413);
    expect(h.simulator.requests).toHaveLength(0);
  });

  test('a text/plain body on an OpenAI path still streams through unread (only Ollama bodies are JSON regardless)', async () => {
    await h.registry.resetMetrics();
    h.simulator.reset();
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    await (
      await fetch(`${h.proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      })
    ).text();
    await settled(h);
    expect(await h.sum('llm_requests_total', { model: 'unknown' })).toBe(1);
  });
});
