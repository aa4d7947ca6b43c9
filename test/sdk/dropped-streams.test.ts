import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { instrument } from '@llmeter/sdk';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, useSimulator, value } from './harness.js';
import { collectGarbage, expectInFlightUntilCollected } from './measured-client.js';

/** A few collections, for a test that nothing more is recorded after them. */
async function collectSome(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const nova = 'amazon.nova-lite-v1:0';
const novaUsage = { input: 200, output: 40, cachedInput: 50 };
const flash = 'gemini-2.5-flash';
const flashUsage = { input: 1000, output: 500, cachedInput: 600, reasoning: 300 };

// Each Bedrock and Gemini stream is watched for garbage collection through one object, for as long as it is not
// recorded: the SDK's iterable, which every iterator over it holds (Bedrock), or the generator itself (Gemini).
describe('Bedrock and Gemini streams the caller drops are recorded once', () => {
  const env = useSimulator();
  const bedrock = () => {
    const registry = newRegistry();
    const raw = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: env.sim.url,
      credentials: { accessKeyId: 'AKIDLLMETEREXAMPLE', secretAccessKey: 'llmeter-not-a-real-secret-key-0123456789' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
    return { registry, client: instrument(raw, { registry }) };
  };
  const gemini = () => {
    const registry = newRegistry();
    const client = new GoogleGenAI({
      apiKey: 'AIzaSyLLMETER-not-a-real-key-0123456789',
      httpOptions: { baseUrl: env.sim.url },
    });
    return { registry, ai: instrument(client, { registry }) };
  };

  it('a Bedrock iterator left half-read is recorded as aborted once garbage-collected', async () => {
    const { registry, client } = bedrock();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: novaUsage });
    // One event read by hand, then the response and the iterator dropped: no `break`, no `return()`.
    await (async () => {
      const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages: [] }));
      const stream = response.stream as AsyncIterable<unknown>;
      await stream[Symbol.asyncIterator]().next();
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
  });

  it('a Bedrock stream being read is not taken for dropped when only its iterator is held', async () => {
    const { registry, client } = bedrock();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: novaUsage });
    const iterator = await (async () => {
      const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages: [] }));
      return (response.stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    })();
    await iterator.next();
    await collectSome();
    expect(value(await metricsText(registry), 'requests_in_flight')).toBe(1);
    while (!(await iterator.next()).done) {
      // read on, collecting between events
      collectGarbage();
    }
    await collectSome();
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(novaUsage.output);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('an openai stream being read is not taken for dropped when only its iterator is held', async () => {
    const registry = newRegistry();
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${env.sim.url}/v1`, maxRetries: 0 }), {
      registry,
    });
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: { input: 12, output: 3 } });
    const iterator = await (async () => {
      // A Responses stream: its iterator is llmeter's, over the SDK's generator, which does not hold the stream.
      const stream = await openai.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true });
      return stream[Symbol.asyncIterator]();
    })();
    await iterator.next();
    await collectSome();
    expect(value(await metricsText(registry), 'requests_in_flight')).toBe(1);
    while (!(await iterator.next()).done) collectGarbage();
    await collectSome();
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { status: 'ok' })).toBe(1);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'tokens_total', { type: 'output' })).toBe(3);
  });

  it('a Gemini generator left half-read is recorded as aborted once garbage-collected', async () => {
    const { registry, ai } = gemini();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: flashUsage });
    await (async () => {
      const stream = await ai.models.generateContentStream({ model: flash, contents: 'Hi' });
      await stream.next();
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total', { error_type: 'aborted' })).toBe(1);
  });

  it('Bedrock and Gemini streams read to the end are recorded once, collected or not', async () => {
    const b = bedrock();
    const g = gemini();
    await (async () => {
      for (let i = 0; i < 3; i++) {
        env.sim.enqueue({ chunks: ['a', 'b'], usage: novaUsage });
        const response = await b.client.send(new ConverseStreamCommand({ modelId: nova, messages: [] }));
        for await (const _ of response.stream ?? []) {
          // read every event
        }
        env.sim.enqueue({ chunks: ['a', 'b'], usage: flashUsage });
        for await (const _ of await g.ai.models.generateContentStream({ model: flash, contents: 'Hi' })) {
          // read every chunk
        }
      }
    })();
    await collectSome();
    for (const registry of [b.registry, g.registry]) {
      const text = await metricsText(registry);
      expect(value(text, 'requests_total', { status: 'ok' })).toBe(3);
      expect(value(text, 'requests_total')).toBe(3);
      expect(value(text, 'requests_in_flight')).toBe(0);
    }
  });
});
