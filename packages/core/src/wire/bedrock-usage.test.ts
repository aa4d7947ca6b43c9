import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PriceBook } from '../pricing/price-book.js';
import type { Usage } from '../record.js';
import { bedrockWireFormat } from './bedrock.js';
import { bedrockInvokeResponse } from './bedrock-invoke.js';
import { bedrockUsage } from './bedrock-usage.js';

/**
 * Bedrock cache writes by TTL. The shape is `@aws-sdk/client-bedrock-runtime`'s (3.1164.0,
 * dist-types/models/models_0.d.ts): `TokenUsage.cacheDetails?: CacheDetail[]`, `CacheDetail { ttl: CacheTTL;
 * inputTokens: number }`, `CacheTTL` `"5m" | "1h"`, "Detailed breakdown of cache writes by TTL. Empty if no cache
 * creation occurred. Sorted by TTL duration (1h before 5m)"; AWS's API reference page `CacheDetail` says the same.
 * The one live recording of it found (fixtures/bedrock/converse-cache-write.json, pydantic-ai's cassette) has a
 * 5-minute write only: no live recording with a `1h` entry was found (pydantic-ai, openllmetry and vercel/ai
 * cassettes were searched), so the bodies and events below are built from the SDK's type shapes.
 */

function usage(input: number, output: number, cachedInput = 0, cacheWrite = 0): Usage {
  return { input, output, cachedInput, cacheWrite, reasoning: 0 };
}

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

/** A Converse `usage` with 1,000 tokens written to the 1-hour cache and 322 to the 5-minute one. */
const MIXED_TTL_USAGE = {
  inputTokens: 2,
  outputTokens: 5,
  totalTokens: 1329,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 1322,
  cacheDetails: [
    { ttl: '1h', inputTokens: 1000 },
    { ttl: '5m', inputTokens: 322 },
  ],
};

describe('Bedrock cache writes by TTL (cacheDetails)', () => {
  it('reads the 1-hour part of a Converse response into cacheWrite1h', () => {
    const body = {
      output: { message: { role: 'assistant', content: [{ text: '21' }] } },
      stopReason: 'end_turn',
      usage: MIXED_TTL_USAGE,
      metrics: { latencyMs: 1800 },
    };
    expect(bedrockWireFormat.parseResponse('chat', body)).toEqual({
      usage: { ...usage(1324, 5, 0, 1322), cacheWrite1h: 1000 },
      responseModel: undefined,
    });
  });

  it("reads it from a ConverseStream metadata event, the SDK's union member and the wire payload alike", () => {
    const event = {
      usage: {
        inputTokens: 200,
        outputTokens: 40,
        totalTokens: 1740,
        cacheReadInputTokens: 300,
        cacheWriteInputTokens: 1200,
        cacheDetails: [
          { ttl: '1h', inputTokens: 800 },
          { ttl: '5m', inputTokens: 400 },
        ],
      },
      metrics: { latencyMs: 420 },
    };
    const expected = { ...usage(1700, 40, 300, 1200), cacheWrite1h: 800 };
    const union = bedrockWireFormat.createStreamAccumulator('chat');
    union.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hi' } } });
    union.push({ messageStop: { stopReason: 'end_turn' } });
    union.push({ metadata: event });
    expect(union.summary().usage).toEqual(expected);
    const wire = bedrockWireFormat.createStreamAccumulator('chat');
    expect(wire.pushRaw(JSON.stringify(event), 'metadata')).toBe('other');
    expect(wire.summary().usage).toEqual(expected);
  });

  it('adds nothing for 5-minute writes only (the live recording), or no writes at all', () => {
    const recorded: unknown = JSON.parse(
      readFileSync(new URL('./fixtures/bedrock/converse-cache-write.json', import.meta.url), 'utf8'),
    );
    expect(bedrockWireFormat.parseResponse('chat', recorded).usage).toEqual(usage(1324, 5, 0, 1322));
    expect(bedrockUsage({ inputTokens: 2, outputTokens: 5, totalTokens: 7, cacheDetails: [] })).toEqual(usage(2, 5));
  });

  it('takes the writes from the details when cacheWriteInputTokens is missing, and caps 1h at the writes', () => {
    const details = [
      { ttl: '1h', inputTokens: 30 },
      { ttl: '5m', inputTokens: 20 },
    ];
    expect(bedrockUsage({ inputTokens: 2, outputTokens: 5, cacheDetails: details })).toEqual({
      ...usage(52, 5, 0, 50),
      cacheWrite1h: 30,
    });
    // A 1-hour part above the reported total cannot make the 5-minute part negative.
    expect(bedrockUsage({ inputTokens: 2, outputTokens: 5, cacheWriteInputTokens: 10, cacheDetails: details })).toEqual(
      { ...usage(12, 5, 0, 10), cacheWrite1h: 10 },
    );
    // Entries that are not counts, or name another TTL, add no 1-hour tokens.
    const bogus = [{ ttl: '1h', inputTokens: '9' }, { ttl: '1h' }, null, { ttl: '24h', inputTokens: 4 }];
    expect(bedrockUsage({ inputTokens: 2, outputTokens: 5, cacheWriteInputTokens: 4, cacheDetails: bogus })).toEqual(
      usage(6, 5, 0, 4),
    );
    expect(bedrockUsage({ inputTokens: 2, outputTokens: 5, cacheDetails: { ttl: '1h', inputTokens: 3 } })).toEqual(
      usage(2, 5),
    );
  });

  it("reads an InvokeModel Anthropic body's cache_creation through the Anthropic format", () => {
    // Anthropic models on InvokeModel answer in Anthropic's Messages format; the TTL split, if Bedrock sends it,
    // is Anthropic's `cache_creation` object (no live Bedrock recording of one was found).
    const body = {
      id: 'msg_bdrk_01',
      type: 'message',
      model: 'claude-sonnet-4-5-20250929',
      usage: {
        input_tokens: 2,
        cache_creation_input_tokens: 1322,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 322, ephemeral_1h_input_tokens: 1000 },
        output_tokens: 5,
      },
    };
    expect(bedrockInvokeResponse(SONNET, body)).toEqual({
      usage: { ...usage(1324, 5, 0, 1322), cacheWrite1h: 1000 },
      responseModel: undefined,
    });
  });

  it('prices 1-hour writes at the cache write rate: genai-prices has no 1-hour rate for Bedrock', () => {
    const book = new PriceBook();
    const parsed = bedrockUsage(MIXED_TTL_USAGE);
    // 2 uncached input at 3.30, 1,322 cache writes at 4.125 (1h and 5m alike), 5 output at 16.50 per million:
    // genai-prices' calcPrice gives 0.00554235 with and without `cache_write_1h_tokens: 1000`.
    expect(parsed && book.cost('aws.bedrock', SONNET, parsed)).toBeCloseTo(0.00554235, 15);
    expect(book.cost('aws.bedrock', SONNET, usage(1324, 5, 0, 1322))).toBeCloseTo(0.00554235, 15);
  });
});
