import { createOpenAI } from '@ai-sdk/openai';
import { llmeterEmbeddingMiddleware, llmeterMiddleware } from '@llmeter/sdk';
import { wrapEmbeddingModel, wrapLanguageModel } from 'ai';
import { createOpenAI as createOpenAIv2 } from 'ai-sdk-openai-v2';
import { createOpenAI as createOpenAIv3 } from 'ai-sdk-openai-v3';
import * as v5 from 'ai-v5';
import * as v6 from 'ai-v6';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

// The point of this file is the type checker: each `ai` major's own `wrapLanguageModel` takes the middleware
// without a cast. It also runs, to check the wrapped models are what each major returns.
describe('llmeterMiddleware types', () => {
  it('is accepted, uncast, by wrapLanguageModel of ai 5, 6 and 7 and wrapEmbeddingModel of ai 6 and 7', () => {
    const openai = createOpenAI({ apiKey: 'k' });
    const openaiV2 = createOpenAIv2({ apiKey: 'k' });
    const openaiV3 = createOpenAIv3({ apiKey: 'k' });
    const registry = new Registry();
    const middleware = llmeterMiddleware({ registry });
    const v7Model = wrapLanguageModel({ model: openai.chat('gpt-4o-mini'), middleware });
    const v7FromV3 = wrapLanguageModel({
      model: openaiV3.chat('gpt-4o-mini'),
      middleware: llmeterMiddleware({ registry }),
    });
    const v6Model = v6.wrapLanguageModel({
      model: openaiV3.chat('gpt-4o-mini'),
      middleware: llmeterMiddleware({ registry }),
    });
    const v5Model = v5.wrapLanguageModel({
      model: openaiV2.chat('gpt-4o-mini'),
      middleware: llmeterMiddleware({ registry }),
    });
    const v7Embedding = wrapEmbeddingModel({
      model: openai.embedding('text-embedding-3-small'),
      middleware: llmeterEmbeddingMiddleware({ registry }),
    });
    const v6Embedding = v6.wrapEmbeddingModel({
      model: openaiV3.embedding('text-embedding-3-small'),
      middleware: [llmeterEmbeddingMiddleware({ registry })],
    });
    expect([v7Model, v7FromV3, v6Model, v5Model].map((m) => m.specificationVersion)).toEqual(['v4', 'v4', 'v3', 'v2']);
    expect([v7Embedding, v6Embedding].map((m) => m.specificationVersion)).toEqual(['v4', 'v3']);
  });
});
