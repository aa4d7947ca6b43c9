import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLY_TEXT,
  SIMULATOR_REPLY_HEADER,
  type Simulator,
  splitIntoChunks,
  startSimulator,
} from './index.js';

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('the simulator over raw HTTP', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('listens on 127.0.0.1 and splits the default text word by word', () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(splitIntoChunks(DEFAULT_REPLY_TEXT)).toEqual(['Hello', ' from', ' the', ' llmeter', ' simulator!']);
    expect(splitIntoChunks(' a  b ')).toEqual([' a', '  b', ' ']);
    expect(splitIntoChunks('')).toEqual([]);
  });

  it('takes a reply from the x-simulator-reply header over the queue, leaving the queue alone', async () => {
    sim.enqueue({ text: 'from the queue' });
    const scripted = await post(
      `${sim.url}/v1/chat/completions`,
      { model: 'gpt-4o', messages: [] },
      { [SIMULATOR_REPLY_HEADER]: JSON.stringify({ text: 'from the header', usage: { input: 3, output: 2 } }) },
    );
    expect(await scripted.json()).toMatchObject({
      choices: [{ message: { content: 'from the header' } }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    const queued = await post(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [] });
    expect(await queued.json()).toMatchObject({ choices: [{ message: { content: 'from the queue' } }] });
  });

  it('rejects a malformed x-simulator-reply header with a 400 error body', async () => {
    const response = await post(`${sim.url}/v1/chat/completions`, {}, { [SIMULATOR_REPLY_HEADER]: '{"status":"x"}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: 'x-simulator-reply: status must be a number',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it("answers malformed JSON with each provider's 400 body, and records the request anyway", async () => {
    const openai = await post(`${sim.url}/v1/chat/completions`, '{"model":');
    expect(openai.status).toBe(400);
    expect(await openai.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: null } });
    const anthropic = await post(`${sim.url}/v1/messages`, '[1, 2]');
    expect(anthropic.status).toBe(400);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(sim.requests.map((r) => [r.path, r.rawBody.toString(), r.body])).toEqual([
      ['/v1/chat/completions', '{"model":', undefined],
      ['/v1/messages', '[1, 2]', [1, 2]],
    ]);
  });

  it('answers an unknown path or method with a 404 OpenAI error body', async () => {
    const response = await fetch(`${sim.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { message: 'Invalid URL (GET /v1/nothing-here)', type: 'invalid_request_error', param: null, code: null },
    });
    expect((await fetch(`${sim.url}/v1/chat/completions`)).status).toBe(404);
  });

  it('accepts paths without the /v1 prefix and records query and headers', async () => {
    const response = await post(`${sim.url}/chat/completions?api-version=1`, { model: 'gpt-4o' }, { 'x-test': 'yes' });
    expect(response.status).toBe(200);
    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      path: '/chat/completions',
      url: '/chat/completions?api-version=1',
      headers: { 'x-test': 'yes' },
      body: { model: 'gpt-4o' },
    });
  });

  it('sends Anthropic SSE with named events, a ping and Anthropic headers', async () => {
    const response = await post(`${sim.url}/v1/messages`, { model: 'claude-haiku-4-5', stream: true });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const events = [...(await response.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('flushes each chunk as it is produced', async () => {
    sim.enqueue({ chunks: ['first', 'second'], chunkDelayMs: 250 });
    const started = performance.now();
    const response = await post(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true });
    const reader = response.body?.getReader();
    const arrivals: [string, number][] = [];
    const decoder = new TextDecoder();
    for (let read = await reader?.read(); read && !read.done; read = await reader?.read()) {
      arrivals.push([decoder.decode(read.value), performance.now() - started]);
    }
    const firstAt = arrivals.find(([text]) => text.includes('"first"'))?.[1];
    const secondAt = arrivals.find(([text]) => text.includes('"second"'))?.[1];
    expect(firstAt).toBeLessThan(200);
    expect(secondAt).toBeGreaterThanOrEqual(245);
  });

  it('holds a JSON reply back for its whole simulated generation time', async () => {
    sim.enqueue({ chunks: ['a', 'b', 'c'], firstChunkDelayMs: 60, chunkDelayMs: 30 });
    const started = performance.now();
    const response = await post(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(response.headers.get('openai-processing-ms')).toBe('120');
  });

  it('closes promptly with a keep-alive socket and a stream still open', async () => {
    const own = await startSimulator({ defaultReply: { chunkDelayMs: 10_000 } });
    await (await post(`${own.url}/v1/models`, {})).text();
    const streaming = await post(`${own.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true });
    const reading = streaming.text().catch((e: unknown) => e);
    const hanging = post(
      `${own.url}/v1/chat/completions`,
      {},
      { [SIMULATOR_REPLY_HEADER]: '{"headersDelayMs":60000}' },
    ).then(
      () => 'answered',
      (e: unknown) => e,
    );
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await reading).toBeInstanceOf(TypeError);
    expect(await hanging).toBeInstanceOf(TypeError);
  });
});
