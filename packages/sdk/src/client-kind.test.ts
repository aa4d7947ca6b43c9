import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { detectClient } from './client-kind.js';
import { asksForStreamUsage, withStreamUsage } from './openai-methods.js';

describe('detectClient', () => {
  it('tells the clients and their default provider apart', () => {
    expect(detectClient(new OpenAI({ apiKey: 'x' }))).toEqual({ kind: 'openai', provider: 'openai' });
    expect(detectClient(new OpenAI({ apiKey: 'x', baseURL: 'http://localhost:11434/v1' }))).toEqual({
      kind: 'openai',
      provider: 'localhost:11434',
    });
    expect(detectClient(new OpenAI({ apiKey: 'x', baseURL: 'https://me.openai.azure.com/openai' }))?.provider).toBe(
      'azure',
    );
    expect(
      detectClient(new AzureOpenAI({ apiKey: 'x', endpoint: 'https://proxy.example', apiVersion: '2024-10-21' }))
        ?.provider,
    ).toBe('azure');
    expect(detectClient(new Anthropic({ apiKey: 'x' }))).toEqual({ kind: 'anthropic', provider: 'anthropic' });
    expect(detectClient({ chat: {} })).toBeUndefined();
    expect(detectClient(null)).toBeUndefined();
  });
});

describe('stream usage params', () => {
  it('asks for usage on a copy, keeping the caller’s other stream options', () => {
    const params = { model: 'm', stream: true, stream_options: { include_obfuscation: false } };
    const copy = withStreamUsage(params);
    expect(copy).toEqual({ ...params, stream_options: { include_obfuscation: false, include_usage: true } });
    expect(params.stream_options).toEqual({ include_obfuscation: false });
    expect(asksForStreamUsage(params)).toBe(false);
    expect(asksForStreamUsage(copy)).toBe(true);
  });
});
