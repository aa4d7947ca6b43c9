import { describe, expect, it } from 'vitest';
import { aiSdkEmbeddingUsage, aiSdkUsage } from './ai-sdk-usage.js';

describe('aiSdkUsage', () => {
  it('reads V3/V4 usage objects: cached and written parts of input, reasoning part of output', () => {
    const usage = {
      inputTokens: { total: 1000, noCache: 200, cacheRead: 600, cacheWrite: 200 },
      outputTokens: { total: 500, text: 200, reasoning: 300 },
      raw: { anything: 1 },
    };
    expect(aiSdkUsage(usage)).toEqual({ input: 1000, output: 500, cachedInput: 600, cacheWrite: 200, reasoning: 300 });
  });

  it('sums the parts when a V3/V4 total is missing', () => {
    const usage = {
      inputTokens: { total: undefined, noCache: 10, cacheRead: 5, cacheWrite: 1 },
      outputTokens: { total: undefined, text: 7, reasoning: 3 },
    };
    expect(aiSdkUsage(usage)).toEqual({ input: 16, output: 10, cachedInput: 5, cacheWrite: 1, reasoning: 3 });
  });

  it('reads V2 plain numbers (ai 5)', () => {
    const usage = { inputTokens: 100, outputTokens: 50, totalTokens: 150, reasoningTokens: 20, cachedInputTokens: 40 };
    expect(aiSdkUsage(usage)).toEqual({ input: 100, output: 50, cachedInput: 40, cacheWrite: 0, reasoning: 20 });
  });

  it("reads @ai-sdk/anthropic 2's V2 numbers: input without the cache, writes in its provider metadata", () => {
    const usage = { inputTokens: 200, outputTokens: 50, totalTokens: 250, cachedInputTokens: 600 };
    const providerMetadata = { anthropic: { cacheCreationInputTokens: 200, usage: {} } };
    expect(aiSdkUsage(usage, providerMetadata)).toEqual({
      input: 1000,
      output: 50,
      cachedInput: 600,
      cacheWrite: 200,
      reasoning: 0,
    });
    const noWrites = { anthropic: { cacheCreationInputTokens: null } };
    expect(aiSdkUsage(usage, noWrites)).toEqual({
      input: 800,
      output: 50,
      cachedInput: 600,
      cacheWrite: 0,
      reasoning: 0,
    });
  });

  it("reads @ai-sdk/google 2's V2 numbers: thoughts outside outputTokens", () => {
    const usage = {
      inputTokens: 1000,
      outputTokens: 200,
      totalTokens: 1500,
      reasoningTokens: 300,
      cachedInputTokens: 600,
    };
    expect(aiSdkUsage(usage, { google: { usageMetadata: {} } })).toEqual({
      input: 1000,
      output: 500,
      cachedInput: 600,
      cacheWrite: 0,
      reasoning: 300,
    });
  });

  it('is undefined when no count was reported, in either shape', () => {
    const none = { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined };
    const noOutput = { total: undefined, text: undefined, reasoning: undefined };
    expect(aiSdkUsage({ inputTokens: none, outputTokens: noOutput })).toBeUndefined();
    expect(aiSdkUsage({ inputTokens: undefined, outputTokens: undefined, totalTokens: undefined })).toBeUndefined();
    expect(aiSdkUsage(undefined)).toBeUndefined();
    expect(aiSdkUsage({ inputTokens: Number.NaN, outputTokens: -1 })).toBeUndefined();
  });

  it('reads embedding usage as input tokens', () => {
    expect(aiSdkEmbeddingUsage({ tokens: 8 })).toEqual({
      input: 8,
      output: 0,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(aiSdkEmbeddingUsage(undefined)).toBeUndefined();
  });
});
