import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { detectClient } from './client-kind.js';

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
