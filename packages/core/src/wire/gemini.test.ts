import { describe, expect, it } from 'vitest';
import type { Usage } from '../record.js';
import { geminiWireFormat } from './gemini.js';
import { geminiModelName, geminiPathFacts } from './gemini-path.js';
import { geminiEmbeddingUsage, geminiUsage } from './gemini-usage.js';
import { wireFormatForPath } from './wire-formats.js';

const format = geminiWireFormat;

function usage(input: number, output: number, cachedInput: number, reasoning: number): Usage {
  return { input, output, cachedInput, cacheWrite: 0, reasoning };
}

describe('Gemini paths', () => {
  it.each([
    ['/v1beta/models/gemini-2.5-flash:generateContent', 'gemini-2.5-flash', 'chat', false],
    ['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'gemini-2.5-flash', 'chat', true],
    ['/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent', 'gemini-2.5-pro', 'chat', true],
    ['/v1beta/models/gemini-2.5-flash:generateContent?key=AIzaSecret', 'gemini-2.5-flash', 'chat', false],
    ['/v1beta/models/gemini-2.5-flash%3AgenerateContent', 'gemini-2.5-flash', 'chat', false],
    [
      '/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      'gemini-2.5-flash',
      'chat',
      true,
    ],
    ['/v1beta/tunedModels/my-tune-123:generateContent', 'tunedModels/my-tune-123', 'chat', false],
    ['/v1/projects/p/locations/l/endpoints/8675309:generateContent', 'endpoints/8675309', 'chat', false],
    ['/v1beta/models/gemini-embedding-001:embedContent', 'gemini-embedding-001', 'embeddings', false],
    ['/v1beta/models/gemini-embedding-2:batchEmbedContents', 'gemini-embedding-2', 'embeddings', false],
    [
      '/v1/projects/p/locations/global/publishers/google/models/gemini-embedding-001:predict',
      'gemini-embedding-001',
      'embeddings',
      false,
    ],
    [
      '/v1/projects/p/locations/l/publishers/google/models/imagen-4.0-generate-001:predict',
      'imagen-4.0-generate-001',
      'other',
      false,
    ],
    ['/v1beta/models/gemini-2.5-flash:countTokens', 'gemini-2.5-flash', 'other', false],
  ] as const)('%s', (path, model, operation, stream) => {
    expect(wireFormatForPath(path)).toBe(format);
    expect(format.operationForPath(path)).toBe(operation);
    expect(format.readRequest({ contents: [], model: 'not-this-one' }, path)).toEqual({ model, stream });
  });

  it('leaves paths of other shapes to the other formats', () => {
    for (const path of [
      '/v1beta/models',
      '/v1beta/models/gemini-2.5-flash',
      '/v1beta/files/abc:download',
      '/v1/chat/completions',
    ]) {
      expect(geminiPathFacts(path)).toBeUndefined();
      expect(wireFormatForPath(path)).not.toBe(format);
    }
    // Vertex AI's OpenAI-compatible endpoint speaks OpenAI.
    expect(wireFormatForPath('/v1/projects/p/locations/l/endpoints/openapi/chat/completions')?.name).toBe('openai');
  });

  it('reads the model of SDK params, which name it without a path', () => {
    expect(format.readRequest({ model: 'gemini-2.5-flash', contents: 'Hi' })).toEqual({
      model: 'gemini-2.5-flash',
      stream: false,
    });
    expect(format.readRequest({ model: 'models/gemini-2.5-pro' }).model).toBe('gemini-2.5-pro');
    expect(geminiModelName('projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash')).toBe(
      'gemini-2.0-flash',
    );
    expect(geminiModelName('tunedModels/abc')).toBe('tunedModels/abc');
    for (const body of [undefined, null, 'x', { model: 7 }, {}])
      expect(format.readRequest(body)).toEqual({ model: '', stream: false });
    const throwing = Object.defineProperty({}, 'model', {
      get() {
        throw new Error('getter');
      },
    });
    expect(format.readRequest(throwing)).toEqual({ model: '', stream: false });
  });

  it('needs no option to make streams report usage', () => {
    expect(format.streamUsageOption).toBeUndefined();
  });
});

describe('geminiUsage', () => {
  it('adds tool-use prompt tokens to input and thoughts to output', () => {
    const metadata = {
      promptTokenCount: 12,
      candidatesTokenCount: 71,
      cachedContentTokenCount: 4,
      toolUsePromptTokenCount: 65,
      thoughtsTokenCount: 89,
      totalTokenCount: 237,
    };
    expect(geminiUsage(metadata)).toEqual(usage(77, 160, 4, 89));
  });

  it('reads counts the API leaves out as zero, and a usage with no count as none', () => {
    expect(geminiUsage({ promptTokenCount: 14, totalTokenCount: 14 })).toEqual(usage(14, 0, 0, 0));
    expect(geminiUsage({ trafficType: 'ON_DEMAND' })).toBeUndefined();
    for (const bad of [undefined, null, 'x', [], { promptTokenCount: '5' }, { promptTokenCount: -1 }]) {
      expect(geminiUsage(bad)).toBeUndefined();
    }
  });

  it('caps a cached count larger than the prompt', () => {
    expect(geminiUsage({ promptTokenCount: 10, cachedContentTokenCount: 50, candidatesTokenCount: 1 })).toEqual(
      usage(10, 1, 10, 0),
    );
  });

  it('reads embedding usage from usageMetadata, Vertex AI predictions or SDK statistics', () => {
    expect(geminiEmbeddingUsage({ embeddings: [], usageMetadata: { promptTokenCount: 11 } })).toEqual(
      usage(11, 0, 0, 0),
    );
    const predict = {
      predictions: [
        { embeddings: { statistics: { token_count: 4, truncated: false }, values: [] } },
        { embeddings: { statistics: { token_count: 6 }, values: [] } },
      ],
    };
    expect(geminiEmbeddingUsage(predict)).toEqual(usage(10, 0, 0, 0));
    expect(geminiEmbeddingUsage({ embeddings: [{ values: [], statistics: { tokenCount: 3 } }] })).toEqual(
      usage(3, 0, 0, 0),
    );
    expect(geminiEmbeddingUsage({ embeddings: [{ values: [0.1] }] })).toBeUndefined();
    expect(format.parseResponse('embeddings', { embedding: { values: [0.1] } })).toEqual({
      usage: undefined,
      responseModel: undefined,
    });
  });
});

describe('geminiWireFormat.parseResponse', () => {
  it('reads usage and modelVersion from a generateContent body', () => {
    const body = {
      candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 29, thoughtsTokenCount: 282, totalTokenCount: 320 },
      modelVersion: 'gemini-3-pro-preview',
    };
    expect(format.parseResponse('chat', body)).toEqual({
      usage: usage(9, 311, 0, 282),
      responseModel: 'gemini-3-pro-preview',
    });
  });

  it('reads a whole JSON-array stream body as its chunks: the last usage, never a sum', () => {
    const body = [
      {
        candidates: [{ content: { parts: [{ text: 'A' }] } }],
        usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 },
      },
      {
        candidates: [{ content: { parts: [{ text: 'B' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 12, totalTokenCount: 20 },
        modelVersion: 'gemini-2.0-flash',
      },
    ];
    expect(format.parseResponse('chat', body)).toEqual({
      usage: usage(8, 12, 0, 0),
      responseModel: 'gemini-2.0-flash',
    });
  });

  it('yields nothing for an error body or a body of another shape', () => {
    const error = { error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } };
    for (const body of [error, null, 7, 'x', { usageMetadata: 'x' }]) {
      expect(format.parseResponse('chat', body)).toEqual({ usage: undefined, responseModel: undefined });
    }
    expect(format.parseResponse('other', { totalTokens: 31 })).toEqual({ usage: undefined, responseModel: undefined });
  });
});

describe('GeminiStreamAccumulator', () => {
  const chunk = (fields: Record<string, unknown>) => ({ modelVersion: 'gemini-2.5-flash', ...fields });
  const text = (value: string, extra: Record<string, unknown> = {}) => ({
    candidates: [{ content: { parts: [{ text: value }], role: 'model' }, index: 0, ...extra }],
  });

  it('takes the latest usage of cumulative chunks, never their sum', () => {
    const accumulator = format.createStreamAccumulator('chat');
    const kinds = [
      accumulator.push(
        chunk({
          ...text('Hello'),
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, thoughtsTokenCount: 20 },
        }),
      ),
      accumulator.push(
        chunk({
          ...text(' there'),
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, thoughtsTokenCount: 20 },
        }),
      ),
      // Vertex AI may send a chunk whose usage holds no count: it changes nothing.
      accumulator.push(chunk({ ...text('!', { finishReason: 'STOP' }), usageMetadata: { trafficType: 'ON_DEMAND' } })),
    ];
    expect(kinds).toEqual(['content', 'content', 'content']);
    const summary = accumulator.summary();
    expect(summary.usage).toEqual(usage(5, 23, 0, 20));
    expect([summary.finished, summary.failed, summary.responseModel]).toEqual([true, false, 'gemini-2.5-flash']);
    expect(summary.outputText()).toBe('Hello there!');
  });

  it('counts thoughts, function calls, inline data and code as content, and a bare signature as none', () => {
    const parts = (part: Record<string, unknown>) => ({ candidates: [{ content: { parts: [part] } }] });
    const accumulator = format.createStreamAccumulator('chat');
    expect(accumulator.push(parts({ text: '', thoughtSignature: 'Eo0HCo' }))).toBe('other');
    expect(accumulator.push(parts({ text: 'Thinking…', thought: true }))).toBe('content');
    expect(accumulator.push(parts({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }))).toBe('content');
    expect(accumulator.push(parts({ inlineData: { mimeType: 'image/png', data: 'iVBOR' } }))).toBe('content');
    expect(accumulator.push(parts({ executableCode: { language: 'PYTHON', code: 'print(1)' } }))).toBe('content');
    expect(accumulator.push({ candidates: [{ content: {} }] })).toBe('other');
    expect(accumulator.summary().outputText()).toBe('Thinking…get_weather{"city":"Paris"}print(1)');
    expect(accumulator.summary().finished).toBe(false);
  });

  it('ends normally on SAFETY, RECITATION or MAX_TOKENS and on a blocked prompt', () => {
    for (const reason of ['SAFETY', 'RECITATION', 'MAX_TOKENS', 'OTHER']) {
      const accumulator = format.createStreamAccumulator('chat');
      accumulator.push(chunk(text('Partial')));
      accumulator.push(chunk({ candidates: [{ content: {}, finishReason: reason, index: 0 }] }));
      expect([accumulator.summary().finished, accumulator.summary().failed]).toEqual([true, false]);
    }
    const blocked = format.createStreamAccumulator('chat');
    expect(
      blocked.push({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 7 } }),
    ).toBe('other');
    expect(blocked.summary()).toMatchObject({ finished: true, failed: false, usage: usage(7, 0, 0, 0) });
  });

  it('is finished only when every candidate has a finish reason', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push({
      candidates: [
        { content: { parts: [{ text: 'a' }] }, index: 0 },
        { content: { parts: [{ text: 'b' }] }, index: 1 },
      ],
    });
    accumulator.push({ candidates: [{ content: { parts: [{ text: '.' }] }, index: 0, finishReason: 'STOP' }] });
    expect(accumulator.summary().finished).toBe(false);
    accumulator.push({ candidates: [{ content: { parts: [{ text: '!' }] }, index: 1, finishReason: 'STOP' }] });
    expect(accumulator.summary().finished).toBe(true);
  });

  it('fails on an error chunk and keeps the usage seen before it', () => {
    const accumulator = format.createStreamAccumulator('chat');
    accumulator.push(chunk({ ...text('Par'), usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1 } }));
    expect(
      accumulator.pushRaw('{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}'),
    ).toBe('error');
    expect(accumulator.summary()).toMatchObject({ finished: false, failed: true, usage: usage(4, 1, 0, 0) });
  });

  it('never throws on odd chunks', () => {
    const accumulator = format.createStreamAccumulator('chat');
    for (const odd of [null, 7, 'x', [], { candidates: 'x' }, { candidates: [null, 7, { content: { parts: 'x' } }] }]) {
      expect(accumulator.push(odd)).toBe('other');
    }
    expect(accumulator.pushRaw('not json')).toBe('other');
    expect(accumulator.summary()).toMatchObject({ usage: undefined, finished: false, failed: false });
  });
});

describe('geminiWireFormat.requestText', () => {
  it('reads REST bodies', () => {
    const body = {
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'w', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'w', response: { temp: 21 } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'w' }] }],
    };
    expect(format.requestText('chat', body)).toBe(
      'Be brief.\nWeather?\n{"city":"Paris"}\n{"temp":21}\n[{"functionDeclarations":[{"name":"w"}]}]',
    );
    expect(
      format.requestText('embeddings', {
        requests: [{ content: { parts: [{ text: 'a' }] } }, { content: { parts: [{ text: 'b' }] } }],
      }),
    ).toBe('a\nb');
    expect(format.requestText('embeddings', { content: { parts: [{ text: 'one' }] } })).toBe('one');
  });

  it('reads Gen AI SDK params', () => {
    expect(format.requestText('chat', { model: 'm', contents: 'Hello', config: { systemInstruction: 'Sys' } })).toBe(
      'Sys\nHello',
    );
    expect(
      format.requestText('chat', { contents: ['a', { text: 'b' }, { role: 'user', parts: [{ text: 'c' }] }] }),
    ).toBe('a\nb\nc');
    expect(format.requestText('chat', null)).toBe('');
  });
});
