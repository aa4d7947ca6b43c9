import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OllamaRoute, ollamaRoute } from './ollama-replies.js';
import { type Simulator, startSimulator } from './server.js';

// Real Ollama replies, recorded (the corpus of @llmeter/core): the simulator's must have the same shape.
const CORPUS = new URL('../../core/src/wire/fixtures/corpus/ollama/', import.meta.url);
const recordedJson = JSON.parse(readFileSync(new URL('api-chat-json.json', CORPUS), 'utf8')) as Record<string, unknown>;
const recordedLines = readFileSync(new URL('api-chat-stream-ndjson.ndjson', CORPUS), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

const keys = (value: unknown) => Object.keys(value as Record<string, unknown>).sort();
const lines = (text: string) => {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe("the simulator speaking Ollama's native API", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  /** A request as Ollama's clients send it: JSON to `/api/chat` or `/api/generate`. */
  const post = (route: `/api/${OllamaRoute}`, body: unknown) =>
    fetch(new URL(route, sim.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const chat = { model: 'llama3', messages: [{ role: 'user', content: 'Tell me a joke' }] };

  it('routes /api/chat and /api/generate', () => {
    expect(ollamaRoute('/api/chat')).toBe('chat');
    expect(ollamaRoute('/api/generate?x=1')).toBe('generate');
    expect(ollamaRoute('/api/embed')).toBeUndefined();
  });

  it('answers /api/chat with "stream": false as one JSON body shaped like the recording', async () => {
    sim.enqueue({ text: 'Why did the span cross the road?', usage: { input: 17, output: 66 } });
    const response = await post('/api/chat', { ...chat, stream: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await response.json()) as Record<string, unknown>;
    expect(keys(body)).toEqual(keys(recordedJson));
    expect(body).toMatchObject({
      model: 'llama3',
      message: { role: 'assistant', content: 'Why did the span cross the road?' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 17,
      eval_count: 66,
    });
    expect(Number.isInteger(body.total_duration)).toBe(true);
  });

  it('streams /api/chat by default as NDJSON, the usage on the done line, shaped like the recording', async () => {
    sim.enqueue({ chunks: ['Why', ' did', ' it'], usage: { input: 17, output: 50 } });
    const response = await post('/api/chat', chat);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const received = lines(await response.text());
    expect(received.map((line) => line.done)).toEqual([false, false, false, true]);
    expect(received.map((line) => (line.message as { content: string }).content)).toEqual(['Why', ' did', ' it', '']);
    expect(keys(received[0])).toEqual(keys(recordedLines[0]));
    expect(keys(received.at(-1))).toEqual(keys(recordedLines.at(-1)));
    expect(received.at(-1)).toMatchObject({ done_reason: 'stop', prompt_eval_count: 17, eval_count: 50 });
    expect(received.slice(0, -1).every((line) => !('eval_count' in line))).toBe(true);
  });

  it('answers /api/generate with `response` in place of `message`', async () => {
    sim.enqueue({ chunks: ['Hi', '!'], usage: { input: 5, output: 2 } });
    const received = lines(await (await post('/api/generate', { model: 'qwen3:8b', prompt: 'Hello' })).text());
    expect(received.map((line) => line.response)).toEqual(['Hi', '!', '']);
    expect(received.at(-1)).toMatchObject({ model: 'qwen3:8b', done: true, prompt_eval_count: 5, eval_count: 2 });
    expect('message' in (received[0] ?? {})).toBe(false);
  });

  it('ends a stream that fails midway with an error line, and leaves the counts out when usage is omitted', async () => {
    sim.enqueue({ chunks: ['a', 'b'], errorEventAfterChunks: 1 });
    const failed = lines(await (await post('/api/chat', chat)).text());
    expect(failed).toHaveLength(2);
    expect(failed[1]).toEqual({ error: 'an error was encountered while running the model (simulated)' });

    sim.enqueue({ text: 'cached', omitUsage: true });
    const body = (await (await post('/api/chat', { ...chat, stream: false })).json()) as Record<string, unknown>;
    expect(body.done).toBe(true);
    expect('prompt_eval_count' in body || 'eval_count' in body).toBe(false);
  });

  it('answers a scripted failure with an {"error"} body and its status', async () => {
    sim.enqueue({ status: 404 });
    const response = await post('/api/chat', chat);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'simulated error (status 404)' });
  });
});
