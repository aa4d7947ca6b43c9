import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, metricsText, newRegistry, useSimulator, value } from './harness.js';
import { collectGarbage, collectUntilNoneInFlight, expectInFlightUntilCollected } from './measured-client.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('calls the caller drops are still recorded once', () => {
  const env = useSimulator();

  it('a stream never read is recorded as aborted once it is garbage-collected, in flight back to 0', async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
    });
    // Created, awaited for its headers, then dropped without reading a chunk.
    await (async () => {
      await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'error' })).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(0);
  });

  it('an iterator left half-read is recorded as aborted once garbage-collected', async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
    });
    // One chunk read by hand, then the stream and its iterator dropped: no `break`, no `return()`.
    await (async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
      await stream[Symbol.asyncIterator]().next();
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
  });

  it('streams and responses read to the end are recorded once, collected or not', async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
    });
    await (async () => {
      for (let i = 0; i < 3; i++) {
        for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
          // read every chunk
        }
        await openai.chat.completions.create({ model: 'gpt-4o', messages });
      }
    })();
    const before = await metricsText(registry);
    expect(value(before, 'requests_total', { status: 'ok' })).toBe(6);
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const after = await metricsText(registry);
    expect(value(after, 'requests_total', { status: 'ok' })).toBe(6);
    expect(value(after, 'requests_total', { status: 'error' })).toBe(0);
    expect(value(after, 'requests_in_flight')).toBe(0);
  });

  it('a response never awaited is recorded once it is garbage-collected, without tokens', async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
    });
    // The SDK sends the request at once; the caller never looks at the answer.
    void openai.chat.completions.create({ model: 'gpt-4o', messages });
    await eventually(async () => env.sim.requests.length === 1);
    await collectUntilNoneInFlight(registry);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total')).toBe(0);
  });
});
