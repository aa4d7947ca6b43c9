import { describe, expect, it } from 'vitest';
import { aiSdkProviderLabel } from './ai-sdk-provider.js';

describe('aiSdkProviderLabel', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['openai.embedding', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gemini'],
    ['google.vertex.chat', 'vertex_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['azure.chat', 'azure'],
    ['groq.chat', 'groq'],
    ['Mistral.Chat', 'mistral'],
    ['', 'unknown'],
  ])('%s → %s', (id, label) => {
    expect(aiSdkProviderLabel(id)).toBe(label);
  });
});
