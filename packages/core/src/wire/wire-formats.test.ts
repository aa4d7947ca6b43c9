import { describe, expect, it } from 'vitest';
import { anthropicWireFormat } from './anthropic.js';
import { openAiWireFormat } from './openai.js';
import { wireFormatForPath, wireFormats } from './wire-formats.js';

describe('wireFormats', () => {
  it('holds each format under its own name', () => {
    for (const [name, format] of Object.entries(wireFormats)) expect(format.name).toBe(name);
  });
});

describe('wireFormatForPath', () => {
  it.each([
    ['/v1/messages', anthropicWireFormat],
    ['/v1/messages/count_tokens', anthropicWireFormat],
    ['/v1/chat/completions', openAiWireFormat],
    ['/openai/deployments/gpt/chat/completions?api-version=2024-10-21', openAiWireFormat],
    ['/v1/responses', openAiWireFormat],
    ['/v1/embeddings', openAiWireFormat],
    ['/v1/completions', openAiWireFormat],
    ['/v1/threads/thread_abc/messages', undefined],
    ['/v1/models', undefined],
    ['/healthz', undefined],
  ])('%s', (path, format) => {
    expect(wireFormatForPath(path)).toBe(format);
  });
});
