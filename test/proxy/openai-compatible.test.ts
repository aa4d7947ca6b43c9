import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { corpusAnswer, corpusRequest } from '../corpus/corpus.js';
import { type ReplayUpstream, startReplayUpstream } from '../support/replay-upstream.js';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';

// Per-million prices from @pydantic/genai-prices' bundled data.
const usd = (tokens: number, perMillion: number): number => (tokens * perMillion) / 1e6;

let up: ReplayUpstream;
let h: ProxyHarness;
beforeAll(async () => {
  up = await startReplayUpstream();
  h = await startHarness(
    {},
    {
      vllm: up.url,
      // Groq serves its OpenAI-compatible API under `/openai/v1`.
      groq: `${up.url}/openai`,
      azure: up.url,
      mistral: up.url,
      ollama: up.url,
      strict: up.url,
      picky: up.url,
    },
  );
}, 30_000);
afterAll(async () => {
  await h?.close();
  await up?.close();
});
beforeEach(async () => {
  up.reset();
  await h.registry.resetMetrics();
});

/** An OpenAI client on the proxy's route `name`; no retries, so every call is counted once. */
function client(name: string, path = '/v1'): OpenAI {
  return new OpenAI({ apiKey: 'sk-test-key', baseURL: `${h.proxy.url}/${name}${path}`, maxRetries: 0 });
}

/** Sends a corpus recording's request body as it was recorded, through the OpenAI SDK. */
function recordedParams(id: string): OpenAI.Chat.ChatCompletionCreateParams {
  return JSON.parse(corpusRequest(id).toString('utf8')) as OpenAI.Chat.ChatCompletionCreateParams;
}

async function readAll(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/** The body the upstream got for request `index`, parsed. */
function upstreamBody(index: number): Record<string, unknown> {
  return JSON.parse(up.requests[index]?.body.toString('utf8') ?? 'null') as Record<string, unknown>;
}

describe('vLLM', () => {
  const labels = { provider: 'vllm', model: 'facebook/opt-125m', operation: 'chat' };

  test('a JSON reply: its reported usage (recorded)', async () => {
    up.enqueue(corpusAnswer('vllm/chat-json'));
    const completion = await client('vllm').chat.completions.create({
      ...recordedParams('vllm/chat-json'),
      stream: false,
    });
    expect(completion.usage?.prompt_tokens).toBe(57);
    await settled(h);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(57);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(20);
    expect(await h.sum('llm_usage_estimated_total')).toBe(0);
  });

  test('a stream without usage (recorded): usage asked for, the reply as it came, tokens counted locally', async () => {
    up.enqueue(corpusAnswer('vllm/chat-stream'));
    const stream = await client('vllm').chat.completions.create({
      ...recordedParams('vllm/chat-stream'),
      stream: true,
    });
    const text = await readAll(stream);
    expect(text.length).toBeGreaterThan(0);
    expect(upstreamBody(0).stream_options).toEqual({ include_usage: true });
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_usage_estimated_total', labels)).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBeGreaterThan(0);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
  });
});

describe('Groq', () => {
  const labels = { provider: 'groq', model: 'llama3-8b-8192', operation: 'chat' };

  test('a stream reporting usage in x_groq.usage on its finish chunk (recorded)', async () => {
    up.enqueue(corpusAnswer('groq/chat-stream-x-groq-usage'));
    const stream = await client('groq').chat.completions.create({
      ...recordedParams('groq/chat-stream-x-groq-usage'),
      stream: true,
    });
    const text = await readAll(stream);
    expect(text).toContain('face!)');
    expect(up.requests[0]?.url).toBe('/openai/v1/chat/completions');
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(18);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(73);
    // Groq's llama3-8b-8192: input 0.05, output 0.08.
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(usd(18, 0.05) + usd(73, 0.08), 15);
    expect(await h.sum('llm_usage_estimated_total')).toBe(0);
    expect(await h.sum('llm_usage_missing_total')).toBe(0);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
  });

  test('a JSON reply (recorded)', async () => {
    up.enqueue(corpusAnswer('groq/chat-json'));
    await client('groq').chat.completions.create({ ...recordedParams('groq/chat-json'), stream: false });
    await settled(h);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(18);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(43);
  });
});

describe('Azure OpenAI', () => {
  const azure = (): AzureOpenAI =>
    new AzureOpenAI({
      apiKey: 'azure-test-key',
      endpoint: `${h.proxy.url}/azure`,
      apiVersion: '2024-02-01',
      deployment: 'openllmetry-testing',
      maxRetries: 0,
    });
  const labels = { provider: 'azure', model: 'openllmetry-testing', operation: 'chat' };

  test('a deployment path: the deployment labels the call, the response model prices it (recorded)', async () => {
    up.enqueue(corpusAnswer('azure-openai/chat-json'));
    const completion = await azure().chat.completions.create({
      ...recordedParams('azure-openai/chat-json'),
      stream: false,
    });
    expect(completion.model).toBe('gpt-35-turbo');
    expect(up.requests[0]?.url).toBe('/openai/deployments/openllmetry-testing/chat/completions?api-version=2024-02-01');
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(15);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(24);
    // Priced as the response's model, Azure's gpt-35-turbo: input 0.50, output 1.50.
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(usd(15, 0.5) + usd(24, 1.5), 15);
    expect(await h.sum('llm_unpriced_requests_total')).toBe(0);
  });

  test('a stream without usage, its first chunk the prompt filter results (recorded)', async () => {
    up.enqueue(corpusAnswer('azure-openai/chat-stream'));
    const stream = await azure().chat.completions.create({
      ...recordedParams('azure-openai/chat-stream'),
      stream: true,
    });
    const text = await readAll(stream);
    expect(text.length).toBeGreaterThan(0);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_usage_estimated_total', labels)).toBe(1);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
  });
});

describe('Mistral (OpenAI-shaped), usage on the last content chunk', () => {
  // Hand-written in Mistral's shape: no separate usage chunk; the finish chunk carries text and usage.
  const chunk = (delta: Record<string, string>, finish: string | null, usage?: Record<string, number>): string =>
    `data: ${JSON.stringify({
      id: 'cmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'mistral-small-latest',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage === undefined ? {} : { usage }),
    })}\n\n`;
  const stream = [
    chunk({ role: 'assistant', content: '' }, null),
    chunk({ content: 'Hello' }, null),
    chunk({ content: ' there' }, 'stop', { prompt_tokens: 9, total_tokens: 13, completion_tokens: 4 }),
    'data: [DONE]\n\n',
  ].join('');
  const labels = { provider: 'mistral', model: 'mistral-small-latest', operation: 'chat' };

  test('the chunk reaches the client whole and its usage is reported, not estimated', async () => {
    up.enqueue({ status: 200, contentType: 'text/event-stream', body: Buffer.from(stream) });
    const text = await readAll(
      await client('mistral').chat.completions.create({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
    );
    expect(text).toBe('Hello there');
    await settled(h);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(9);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(4);
    // mistral-small-latest: input 0.10, output 0.30.
    expect(await h.sum('llm_cost_usd_total', labels)).toBeCloseTo(usd(9, 0.1) + usd(4, 0.3), 15);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(await h.sum('llm_usage_estimated_total')).toBe(0);
  });
});

describe("Ollama's native API", () => {
  const labels = { provider: 'ollama', model: 'llama3', operation: 'chat' };
  const post = (path: string, body: Buffer): Promise<Response> =>
    fetch(`${h.proxy.url}/ollama${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  test('/api/chat as JSON: prompt_eval_count is the input, eval_count the output (recorded)', async () => {
    up.enqueue(corpusAnswer('ollama/api-chat-json'));
    const response = await post('/api/chat', corpusRequest('ollama/api-chat-json'));
    expect(((await response.json()) as { eval_count: number }).eval_count).toBe(66);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(17);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(66);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(0);
    expect(await h.sum('llm_usage_estimated_total')).toBe(0);
  });

  test('/api/chat as an NDJSON stream: the counts of its done line, time to first token (recorded)', async () => {
    up.enqueue(corpusAnswer('ollama/api-chat-stream-ndjson'));
    const request = corpusRequest('ollama/api-chat-stream-ndjson');
    const response = await post('/api/chat', request);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text()).trim().split('\n');
    expect(lines.at(-1)).toContain('"done":true');
    // Sent as the client wrote it: nothing to ask an Ollama stream for.
    expect(up.requests[0]?.body.equals(request)).toBe(true);
    await settled(h);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'input' })).toBe(17);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBe(50);
    expect(await h.sum('llm_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(await h.sum('llm_usage_estimated_total')).toBe(0);
  });
});

describe('a server that refuses stream_options', () => {
  // Azure OpenAI's answer before it knew the option (API versions before 2024-09-01-preview).
  const refusal = {
    status: 400,
    contentType: 'application/json',
    body: Buffer.from(
      '{"error":{"message":"Unrecognized request argument supplied: stream_options","type":"invalid_request_error","param":null,"code":null}}',
    ),
  };
  const labels = { provider: 'strict', model: 'facebook/opt-125m', operation: 'chat' };

  test('the request is sent again once, as the client wrote it, and later calls are not asked', async () => {
    up.enqueue(refusal, corpusAnswer('vllm/chat-stream'), corpusAnswer('vllm/chat-stream'));
    const params = { ...recordedParams('vllm/chat-stream'), stream: true as const };
    const text = await readAll(await client('strict').chat.completions.create(params));
    expect(text.length).toBeGreaterThan(0);
    expect(up.requests).toHaveLength(2);
    expect(upstreamBody(0).stream_options).toEqual({ include_usage: true });
    expect(upstreamBody(1)).toEqual(params);
    expect(upstreamBody(1)).not.toHaveProperty('stream_options');
    await settled(h);
    expect(await h.sum('llm_requests_total')).toBe(1);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_usage_estimated_total', labels)).toBe(1);

    // The upstream is remembered: the next call goes as the client wrote it, first time.
    await readAll(await client('strict').chat.completions.create(params));
    expect(up.requests).toHaveLength(3);
    expect(upstreamBody(2)).not.toHaveProperty('stream_options');
    await settled(h);
    expect(await h.sum('llm_requests_total')).toBe(2);
  });

  test('a 400 too large to read first is passed on whole as it streams, and not sent again', async () => {
    const message = `${'x'.repeat(100_000)} stream_options`;
    const body = Buffer.from(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
    up.enqueue({ status: 400, contentType: 'application/json', body });
    const response = await fetch(`${h.proxy.url}/picky/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.status).toBe(400);
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    expect(up.requests).toHaveLength(1);
    await settled(h);
    const labels400 = { provider: 'picky', model: 'gpt-4o', operation: 'chat', error_type: 'bad_request' };
    expect(await h.sum('llm_request_failures_total', labels400)).toBe(1);
    expect(await h.sum('llm_requests_total')).toBe(1);
  });

  test('any other 400 reaches the client as it came, and is not sent again', async () => {
    up.enqueue(corpusAnswer('openai/chat-error-400-unsupported-role'));
    const error = await client('picky')
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(up.requests).toHaveLength(1);
    expect(upstreamBody(0).stream_options).toEqual({ include_usage: true });
    await settled(h);
    const labels400 = { provider: 'picky', model: 'gpt-4o', operation: 'chat', error_type: 'bad_request' };
    expect(await h.sum('llm_request_failures_total', labels400)).toBe(1);
    // The next call is still asked for usage.
    up.enqueue(corpusAnswer('vllm/chat-stream'));
    await readAll(
      await client('picky').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
    );
    expect(upstreamBody(1).stream_options).toEqual({ include_usage: true });
  });
});
