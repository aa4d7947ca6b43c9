import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NdjsonParser } from './ndjson-parser.js';
import { ollamaWireFormat } from './ollama.js';
import { wireFormatForPath } from './wire-formats.js';

const corpus = (file: string): string => readFileSync(new URL(`fixtures/corpus/${file}`, import.meta.url), 'utf8');

describe('ollamaWireFormat', () => {
  it.each([
    ['/api/chat', 'chat'],
    ['/ollama/api/generate', 'text_completion'],
    ['/api/embed', 'embeddings'],
    ['/api/embeddings', 'embeddings'],
  ])('%s is Ollama %s', (path, operation) => {
    expect(wireFormatForPath(path)).toBe(ollamaWireFormat);
    expect(ollamaWireFormat.operationForPath(path)).toBe(operation);
  });

  it('streams unless the body says stream: false; embeddings never', () => {
    expect(ollamaWireFormat.readRequest({ model: 'llama3', messages: [] }, '/api/chat')).toEqual({
      model: 'llama3',
      stream: true,
    });
    expect(ollamaWireFormat.readRequest({ model: 'llama3', stream: false }, '/api/chat').stream).toBe(false);
    expect(ollamaWireFormat.readRequest({ model: 'nomic-embed-text', input: 'x' }, '/api/embed').stream).toBe(false);
  });

  it('reads a JSON reply: prompt_eval_count as input, eval_count as output (recorded)', () => {
    const body: unknown = JSON.parse(corpus('ollama/api-chat-json.json'));
    expect(ollamaWireFormat.parseResponse('chat', body)).toEqual({
      usage: { input: 17, output: 66, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
      responseModel: 'llama3',
    });
  });

  it('reads an embedding reply, which has no eval_count', () => {
    const body = { model: 'all-minilm', embeddings: [[0.1]], prompt_eval_count: 8 };
    expect(ollamaWireFormat.parseResponse('embeddings', body).usage).toEqual({
      input: 8,
      output: 0,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });

  it('reports no usage for a reply with a count missing or bogus', () => {
    expect(ollamaWireFormat.parseResponse('chat', { eval_count: 3 }).usage).toBeUndefined();
    expect(ollamaWireFormat.parseResponse('chat', { prompt_eval_count: '3', eval_count: 3 }).usage).toBeUndefined();
  });

  it('follows an NDJSON stream: content lines, then the counts of its done line (recorded)', () => {
    const accumulator = ollamaWireFormat.createStreamAccumulator('chat');
    const kinds: string[] = [];
    const parser = new NdjsonParser((line) => kinds.push(accumulator.pushRaw(line)));
    parser.push(corpus('ollama/api-chat-stream-ndjson.ndjson'));
    parser.end();
    expect(kinds[0]).toBe('content');
    expect(kinds.at(-1)).toBe('other');
    const summary = accumulator.summary();
    expect(summary.usage).toEqual({ input: 17, output: 50, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
    expect(summary.responseModel).toBe('llama3');
    expect(summary.finished).toBe(true);
    expect(summary.failed).toBe(false);
    expect(summary.outputText()).toMatch(/^Why did the/);
  });

  it('reads /api/generate lines, thinking included, and an error line as a failure', () => {
    const accumulator = ollamaWireFormat.createStreamAccumulator('text_completion');
    expect(accumulator.push({ model: 'qwen3', thinking: 'Hmm', response: '', done: false })).toBe('content');
    expect(accumulator.push({ model: 'qwen3', response: 'Hi', done: false })).toBe('content');
    expect(accumulator.push({ error: 'model runner has unexpectedly stopped' })).toBe('error');
    const summary = accumulator.summary();
    expect(summary.failed).toBe(true);
    expect(summary.finished).toBe(false);
    expect(summary.outputText()).toBe('HmmHi');
  });
});
