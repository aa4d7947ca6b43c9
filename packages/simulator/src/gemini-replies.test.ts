import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleJson } from './gemini-replies.js';
import { DEFAULT_GEMINI_EMBEDDING_DIMENSIONS, type Simulator, startSimulator } from './index.js';

const FLASH = '/v1beta/models/gemini-2.5-flash';
const VERTEX = '/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-pro';
const request = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] };

/** The fields of Gemini replies these tests read. */
interface GeminiReply {
  candidates: { content: { parts: unknown[] }; finishReason?: string }[];
  usageMetadata: {
    promptTokenCount: number;
    candidatesTokenCount: number;
    thoughtsTokenCount: number;
    trafficType?: string;
  };
  modelVersion: string;
  createTime?: string;
  responseId: string;
}

interface EmbedReply {
  embedding: { values: number[] };
  embeddings: { values: number[] }[];
  usageMetadata: { promptTokenCount: number };
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIzaTest' },
    body: JSON.stringify(body),
  });
}

// 10 prompt tokens (4 cached), 7 output tokens of which 3 are thoughts: 4 candidate tokens.
const usage = { input: 10, output: 7, cachedInput: 4, reasoning: 3 };
const usageMetadata = (candidates: number) => ({
  promptTokenCount: 10,
  ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
  totalTokenCount: 10 + candidates + 3,
  cachedContentTokenCount: 4,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }],
  cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }],
  thoughtsTokenCount: 3,
});

describe('the simulator speaking Gemini over raw HTTP', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('answers generateContent with usageMetadata as the API counts it', async () => {
    sim.enqueue({ text: 'Hello there', usage });
    const response = await post(`${sim.url}${FLASH}:generateContent`, request);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('server-timing')).toMatch(/^gfet4t7; dur=\d+$/);
    expect(await response.json()).toEqual({
      candidates: [{ content: { parts: [{ text: 'Hello there' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: usageMetadata(4),
      modelVersion: 'gemini-2.5-flash',
      responseId: expect.any(String),
    });
    expect(sim.requests[0]?.headers['x-goog-api-key']).toBe('AIzaTest');
  });

  it('streams SSE with ?alt=sse: cumulative usage on every event, the finish reason on the last', async () => {
    sim.enqueue({ chunks: ['Hi', ' there'], usage, responseModel: 'gemini-2.5-flash-preview' });
    const response = await post(`${sim.url}${FLASH}:streamGenerateContent?alt=sse`, request);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const body = await response.text();
    const events = body.split('\r\n\r\n');
    expect(events.at(-1)).toBe('');
    const chunks = events.slice(0, -1).map((event) => {
      expect(event.startsWith('data: {"candidates": [{"content": {"parts": [{"text": ')).toBe(true);
      return JSON.parse(event.slice('data: '.length)) as Record<string, unknown>;
    });
    expect(chunks).toEqual([
      {
        candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' }, index: 0 }],
        usageMetadata: usageMetadata(2),
        modelVersion: 'gemini-2.5-flash-preview',
        responseId: expect.any(String),
      },
      {
        candidates: [{ content: { parts: [{ text: ' there' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: usageMetadata(4),
        modelVersion: 'gemini-2.5-flash-preview',
        responseId: expect.any(String),
      },
    ]);
  });

  it('streams one JSON array without alt=sse, flushing each element as it is generated', async () => {
    sim.enqueue({ chunks: ['One', ' two', ' three'], usage: { input: 5, output: 3 }, chunkDelayMs: 150 });
    const response = await post(`${sim.url}${FLASH}:streamGenerateContent`, request);
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    const head = decoder.decode(first.value);
    expect(head.startsWith('[{\n  "candidates": [\n')).toBe(true);
    expect(head).not.toContain(' two');
    let body = head;
    for (let next = await reader.read(); !next.done; next = await reader.read()) body += decoder.decode(next.value);
    expect(body.split('\n,\r\n')).toHaveLength(3);
    expect(body.endsWith('}\n]')).toBe(true);
    const elements = JSON.parse(body) as { usageMetadata: { candidatesTokenCount: number } }[];
    expect(elements.map((e) => e.usageMetadata.candidatesTokenCount)).toEqual([1, 2, 3]);
  });

  it('sends a function call whole, with the finish reason', async () => {
    sim.enqueue({ toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const unary = await json<GeminiReply>(post(`${sim.url}${FLASH}:generateContent`, request));
    expect(unary.candidates[0]?.content.parts).toEqual([
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
    ]);
    sim.enqueue({ text: 'Checking.', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const sse = await (await post(`${sim.url}${FLASH}:streamGenerateContent?alt=sse`, request)).text();
    const last = JSON.parse(sse.split('\r\n\r\n').at(-2)?.slice(6) ?? '{}') as GeminiReply;
    expect(last.candidates[0]).toMatchObject({
      content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      finishReason: 'STOP',
    });
  });

  it("fails with Google's error body, and in-stream with an error chunk", async () => {
    for (const [status, canonical] of [
      [429, 'RESOURCE_EXHAUSTED'],
      [500, 'INTERNAL'],
      [503, 'UNAVAILABLE'],
    ] as const) {
      sim.enqueue({ status });
      const response = await post(`${sim.url}${FLASH}:streamGenerateContent?alt=sse`, request);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({
        error: { code: status, message: expect.any(String), status: canonical },
      });
    }
    const error = {
      error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
    };
    sim.enqueue({ chunks: ['a', 'b'], errorEventAfterChunks: 1 });
    const sse = await (await post(`${sim.url}${FLASH}:streamGenerateContent?alt=sse`, request)).text();
    expect(sse.endsWith(`data: ${googleJson(error)}\r\n\r\n`)).toBe(true);
    sim.enqueue({ chunks: ['a', 'b'], errorEventAfterChunks: 1 });
    const array = JSON.parse(
      await (await post(`${sim.url}${FLASH}:streamGenerateContent`, request)).text(),
    ) as unknown[];
    expect(array).toHaveLength(2);
    expect(array[1]).toEqual(error);
    sim.enqueue({ errorEventAfterChunks: 0 });
    expect(JSON.parse(await (await post(`${sim.url}${FLASH}:streamGenerateContent`, request)).text())).toEqual([error]);
  });

  it('embeds with embedContent and batchEmbedContents, reporting the prompt tokens', async () => {
    sim.enqueue({ usage: { input: 6, output: 0 } });
    const single = await json<EmbedReply>(
      post(`${sim.url}/v1beta/models/gemini-embedding-001:embedContent`, { content: { parts: [{ text: 'a' }] } }),
    );
    expect(single.embedding.values).toHaveLength(DEFAULT_GEMINI_EMBEDDING_DIMENSIONS);
    expect(single.usageMetadata).toEqual({
      promptTokenCount: 6,
      promptTokenDetails: [{ modality: 'TEXT', tokenCount: 6 }],
    });
    sim.enqueue({ usage: { input: 9, output: 0 } });
    const batch = await json<EmbedReply>(
      post(`${sim.url}/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 8 },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 8 },
        ],
      }),
    );
    expect(batch.embeddings.map((e) => e.values.length)).toEqual([8, 8]);
    expect(batch.embeddings[0]?.values).not.toEqual(batch.embeddings[1]?.values);
    expect(batch.usageMetadata.promptTokenCount).toBe(9);
  });

  it('answers Vertex AI paths the way Vertex AI does, and 404s an unknown method', async () => {
    const vertex = await json<GeminiReply>(post(`${sim.url}${VERTEX}:generateContent`, request));
    expect(vertex.modelVersion).toBe('gemini-2.5-pro');
    expect(vertex.usageMetadata.trafficType).toBe('ON_DEMAND');
    expect(typeof vertex.createTime).toBe('string');
    const unknown = await post(`${sim.url}${FLASH}:predictLongRunning`, request);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it('writes stream events in Google spacing, with <, > and & escaped', () => {
    expect(googleJson({ a: [1, { b: '<x&y>' }], c: null })).toBe(
      '{"a": [1,{"b": "\\u003cx\\u0026y\\u003e"}],"c": null}',
    );
    expect(googleJson({ a: [1] }, true)).toBe('{\n  "a": [\n    1\n  ]\n}');
  });
});

describe('the realistic profile speaking Gemini', () => {
  it('answers Gemini models with thoughts, and the same way for the same seed', async () => {
    const play = async () => {
      const sim = await startSimulator({ profile: 'realistic', speed: 1_000, faultRate: 0, seed: 3 });
      try {
        const body = {
          contents: [{ parts: [{ text: 'Explain histograms. '.repeat(30) }] }],
          generationConfig: { maxOutputTokens: 200 },
        };
        const flash = await json<GeminiReply>(post(`${sim.url}${FLASH}:generateContent`, body));
        const embed = await json<EmbedReply>(
          post(`${sim.url}/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
            requests: [{ content: { parts: [{ text: 'x' }] } }],
          }),
        );
        return { flash, embedTokens: embed.usageMetadata.promptTokenCount };
      } finally {
        await sim.close();
      }
    };
    const first = await play();
    const { usageMetadata: usage } = first.flash;
    expect(first.flash.modelVersion).toBe('gemini-2.5-flash');
    expect(usage.thoughtsTokenCount).toBeGreaterThan(0);
    expect(usage.candidatesTokenCount + usage.thoughtsTokenCount).toBeLessThanOrEqual(200);
    expect(usage.promptTokenCount).toBeGreaterThan(100);
    expect(first.embedTokens).toBeGreaterThan(0);
    // Ids count up per simulator, so a second simulator with the same seed answers byte for byte the same.
    expect(await play()).toEqual(first);
  });
});
