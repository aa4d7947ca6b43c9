import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sampleSum } from '../support/prometheus-text.js';
import { type ReplayUpstream, useReplayUpstream } from '../support/replay-upstream.js';

// A caller that did not ask for usage gets exactly the stream it asked for, through either front end, although
// llmeter asked for `include_usage` on its behalf: the chunk that option adds is removed whatever its `usage` holds
// (a provider with nothing to report may send null, a string, a number, an array), the `"usage":null` members are
// cut, and a chunk the provider sends anyway (Azure's first chunk: empty choices, prompt filter results) stays.

const frame = (data: string) => `data: ${data}\n\n`;
const head = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06"';
const azureFirst = `{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]`;
const role = `{${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]`;
const text = `{${head},"choices":[{"index":0,"delta":{"content":"Héllo wörld"},"finish_reason":null}]`;
const finish = `{${head},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]`;

/** What the upstream sends with `include_usage`, the last chunk's usage being `usage`. */
const upstreamBytes = (usage: string) =>
  Buffer.from(
    [azureFirst, role, text, finish].map((chunk) => frame(`${chunk},"usage":null}`)).join('') +
      frame(`{${head},"choices":[],"usage":${usage}}`) +
      frame('[DONE]'),
  );
/** What the caller gets: what the upstream would have sent without `include_usage`. */
const expectedChunks = [azureFirst, role, text, finish].map((chunk) => `${chunk}}`);
const expectedBytes = expectedChunks.map(frame).join('') + frame('[DONE]');
const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }], stream: true as const };

async function viaProxy(upstream: ReplayUpstream): Promise<{ text: string; registry: Registry }> {
  const registry = new Registry();
  const proxy: RunningProxy = await startProxy({
    port: 0,
    logLevel: 'silent',
    registry,
    dashboard: false,
    upstreams: { openai: upstream.url },
  });
  try {
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const deadline = Date.now() + 3000;
    while (sampleSum(await registry.metrics(), 'llm_requests_total') !== 1) {
      if (Date.now() > deadline) throw new Error('the proxy did not record the call');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { text, registry };
  } finally {
    await proxy.close();
  }
}

async function viaSdk(upstream: ReplayUpstream): Promise<{ chunks: unknown[]; registry: Registry }> {
  const registry = new Registry();
  const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), {
    registry,
    provider: 'openai',
  });
  const chunks: unknown[] = [];
  for await (const chunk of await openai.chat.completions.create(body)) chunks.push(chunk);
  return { chunks, registry };
}

async function record(registry: Registry) {
  const metrics = await registry.metrics();
  return {
    requests: sampleSum(metrics, 'llm_requests_total', { status: 'ok' }),
    failures: sampleSum(metrics, 'llm_request_failures_total'),
    estimated: sampleSum(metrics, 'llm_usage_estimated_total'),
    output: sampleSum(metrics, 'llm_tokens_total', { type: 'output' }),
    inFlight: sampleSum(metrics, 'llm_requests_in_flight'),
  };
}

describe('the chunk llmeter’s include_usage adds is removed, and only it, through both front ends', () => {
  const upstream = useReplayUpstream();

  it.each([
    ['null', 'null'],
    ['a string', '"unavailable"'],
    ['a number', '0'],
    ['an array', '[]'],
  ])('last chunk with usage %s', async (_name, usage) => {
    const replay = { body: upstreamBytes(usage) };
    upstream.enqueue(replay, replay);
    const proxy = await viaProxy(upstream);
    const sdk = await viaSdk(upstream);
    expect(upstream.pending).toBe(0);

    expect(proxy.text).toBe(expectedBytes);
    expect(sdk.chunks).toEqual(expectedChunks.map((chunk) => JSON.parse(chunk)));

    // No usage reported: the output is counted locally, the call is ok, through either front end alike.
    const proxyRecord = await record(proxy.registry);
    expect(proxyRecord).toMatchObject({ requests: 1, failures: 0, estimated: 1, inFlight: 0 });
    expect(proxyRecord.output).toBeGreaterThan(0);
    expect(await record(sdk.registry)).toEqual(proxyRecord);
  });

  it('a usage object on the last chunk is read, and the chunk removed', async () => {
    const usage = '{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}';
    const replay = { body: upstreamBytes(usage) };
    upstream.enqueue(replay, replay);
    const proxy = await viaProxy(upstream);
    const sdk = await viaSdk(upstream);
    expect(proxy.text).toBe(expectedBytes);
    expect(sdk.chunks).toEqual(expectedChunks.map((chunk) => JSON.parse(chunk)));
    const proxyRecord = await record(proxy.registry);
    expect(proxyRecord).toMatchObject({ requests: 1, failures: 0, estimated: 0, output: 4, inFlight: 0 });
    expect(await record(sdk.registry)).toEqual(proxyRecord);
  });
});
