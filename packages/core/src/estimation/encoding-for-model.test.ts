import { describe, expect, it } from 'vitest';
import { type EncodingName, encodingForModel } from './encoding-for-model.js';

describe('encodingForModel', () => {
  const table: [string, EncodingName][] = [
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-mini-2025-08-07', 'o200k_base'],
    ['gpt-oss-120b', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini-2025-04-16', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['GPT-4o', 'o200k_base'],
    ['openai/gpt-3.5-turbo', 'cl100k_base'],
    ['ft:gpt-3.5-turbo-0125:acme::abc123', 'cl100k_base'],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'o200k_base'],
    ['claude-sonnet-4-5-20250929', 'o200k_base'],
    ['gemini-2.5-pro', 'o200k_base'],
    ['llama-3.3-70b-versatile', 'o200k_base'],
    ['', 'o200k_base'],
  ];

  it.each(table)('%s -> %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });
});
