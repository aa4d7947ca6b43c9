import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyHarness, settled, startHarness } from '../proxy/proxy-harness.js';
import { findSamples, sampleSum } from '../support/prometheus-text.js';

// A reply that succeeds without usage (an OpenAI-compatible server that sends none) must not read as a free
// call: both front ends count it in llm_usage_missing_total. A stream without usage is counted locally instead
// (llm_usage_estimated_total), and a failure or a reply with usage is neither.

let harness: ProxyHarness;
const sdkRegistry = new Registry();
let sdkClient: OpenAI;

beforeAll(async () => {
  harness = await startHarness();
  sdkClient = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${harness.simulator.url}/v1`, maxRetries: 0 }), {
    registry: sdkRegistry,
    provider: 'openai',
  });
});

afterAll(async () => {
  await harness.close();
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

/** The same calls, with the same scripted replies, through one front end. */
async function callsThrough(openai: OpenAI): Promise<void> {
  const { simulator } = harness;
  simulator.enqueue({ omitUsage: true });
  await openai.chat.completions.create({ model: 'gpt-4o', messages });
  simulator.enqueue({ omitUsage: true });
  await openai.chat.completions.create({ model: 'gpt-4o', messages });
  simulator.enqueue({ omitUsage: true });
  await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
  // Not missing: reported usage, a stream counted locally, a failure.
  simulator.enqueue({ usage: { input: 10, output: 5 } });
  await openai.chat.completions.create({ model: 'gpt-4o', messages });
  simulator.enqueue({ omitUsage: true });
  for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
    // read to the end
  }
  simulator.enqueue({ status: 429 });
  await expect(openai.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toThrow();
}

describe('a successful reply without usage', () => {
  it.each([
    [
      'the proxy',
      async () => {
        await callsThrough(harness.openai());
        await settled(harness);
        return harness.metrics();
      },
    ],
    [
      'the SDK',
      async () => {
        await callsThrough(sdkClient);
        return sdkRegistry.metrics();
      },
    ],
  ])('is counted in llm_usage_missing_total through %s', async (_name, run) => {
    const text = await run();
    expect(
      findSamples(text, 'llm_usage_missing_total').map((s) => [
        s.labels.provider,
        s.labels.model,
        s.labels.operation,
        s.value,
      ]),
    ).toEqual([
      ['openai', 'gpt-4o', 'chat', 2],
      ['openai', 'text-embedding-3-small', 'embeddings', 1],
    ]);
    expect(sampleSum(text, 'llm_usage_estimated_total')).toBe(1);
    expect(sampleSum(text, 'llm_requests_total', { status: 'ok' })).toBe(5);
    expect(sampleSum(text, 'llm_requests_total', { status: 'error' })).toBe(1);
    // Only the reply that reported usage has reported tokens; nothing is made up for the others.
    expect(sampleSum(text, 'llm_tokens_total', { model: 'text-embedding-3-small' })).toBe(0);
  });
});
