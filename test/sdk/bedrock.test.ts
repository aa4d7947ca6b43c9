import {
  BedrockRuntime,
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { PriceBook, type Usage } from '@llmeter/core';
import { instrument } from '@llmeter/sdk';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsText, newRegistry, series, usd, useSimulator, value } from './harness.js';
import { expectInFlightUntilCollected, expectOneCall, type Measured, measure } from './measured-client.js';

// Per-million prices from @pydantic/genai-prices' bundled AWS Bedrock data (provider `aws`):
// regional.anthropic.claude-sonnet-4-5-20250929-v1:0 (the `us.` inference profile) input 3.30, cache write 4.125,
// cache read 0.33, output 16.50; amazon.nova-lite-v1:0 input 0.06, cache read 0.015, output 0.24;
// meta.llama3-1-8b-instruct-v1:0 input and output 0.22.
const SONNET = { input: 3.3, cacheWrite: 4.125, cacheRead: 0.33, output: 16.5 };
const NOVA = { input: 0.06, cacheRead: 0.015, output: 0.24 };
const LLAMA = 0.22;

const SECRET = 'llmeter-not-a-real-secret-key-0123456789';
const sonnet = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const nova = 'amazon.nova-lite-v1:0';
const llama = 'meta.llama3-1-8b-instruct-v1:0';
const labelsOf = (model: string) => ({ provider: 'aws.bedrock', model, operation: 'chat' });

// 1000 prompt tokens, 600 of them read from the cache and 100 written to it; 50 output tokens.
const cachedUsage = { input: 1000, output: 50, cachedInput: 600, cacheWrite: 100 };
const sonnetCost =
  usd(300, SONNET.input) + usd(600, SONNET.cacheRead) + usd(100, SONNET.cacheWrite) + usd(50, SONNET.output);
// 200 prompt tokens, 50 of them cached; 40 output tokens.
const novaUsage = { input: 200, output: 40, cachedInput: 50 };
const novaCost = usd(150, NOVA.input) + usd(50, NOVA.cacheRead) + usd(40, NOVA.output);

const messages = [{ role: 'user' as const, content: [{ text: 'Hi' }] }];
const anthropicBody = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Hi' }],
});

describe('@aws-sdk/client-bedrock-runtime', () => {
  const env = useSimulator();
  const measured = (
    config: Partial<BedrockRuntimeClientConfig> = {},
    prices?: PriceBook,
  ): Measured<BedrockRuntimeClient> => {
    const raw = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: env.sim.url,
      credentials: { accessKeyId: 'AKIDLLMETEREXAMPLE', secretAccessKey: SECRET },
      maxAttempts: 1,
      // The client speaks HTTP/2 by default (as to AWS, over TLS); the simulator speaks HTTP/1.1.
      requestHandler: new NodeHttpHandler(),
      ...config,
    });
    const measuredClient = measure(raw, prices);
    expect(measuredClient.client).toBe(raw);
    return measuredClient;
  };

  async function expectUsage(
    registry: Registry,
    model: string,
    usage: { input: number; output: number; cachedInput?: number; cacheWrite?: number },
    stream: boolean,
    cost: number,
  ) {
    expectOneCall(await metricsText(registry), labelsOf(model), { tokens: usage, cost, stream, secret: SECRET });
  }

  it('measures ConverseCommand: tokens by type and cost of a Claude inference profile', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ text: 'Hello from Bedrock', usage: cachedUsage });
    const response = await client.send(new ConverseCommand({ modelId: sonnet, messages }));
    expect(response.output?.message?.content?.[0]?.text).toBe('Hello from Bedrock');
    expect(response.usage).toEqual({
      inputTokens: 300,
      outputTokens: 50,
      totalTokens: 1050,
      cacheReadInputTokens: 600,
      cacheWriteInputTokens: 100,
      cacheDetails: [{ ttl: '5m', inputTokens: 100 }],
    });
    expect(env.sim.requests[0]?.path).toBe(`/model/${encodeURIComponent(sonnet)}/converse`);
    expect(String(env.sim.requests[0]?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
    await expectUsage(registry, sonnet, cachedUsage, false, sonnetCost);
    expect(sonnetCost).toBeCloseTo(0.0024255, 15);
    expect(reported).toEqual([]);
  });

  it('measures ConverseStreamCommand: usage from the metadata event, time to first token', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ chunks: ['Hel', 'lo', ' there'], usage: novaUsage, firstChunkDelayMs: 20 });
    const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages }));
    let text = '';
    const kinds: string[] = [];
    for await (const event of response.stream ?? []) {
      kinds.push(Object.keys(event).filter((key) => key !== '$unknown')[0] ?? '');
      text += event.contentBlockDelta?.delta?.text ?? '';
      if (event.metadata) expect(event.metadata.usage?.cacheReadInputTokens).toBe(50);
    }
    expect(text).toBe('Hello there');
    expect(kinds).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    await expectUsage(registry, nova, novaUsage, true, novaCost);
    expect(novaCost).toBeCloseTo(0.00001935, 15);
    const ttft = value(await metricsText(registry), 'time_to_first_token_seconds_sum');
    expect(ttft).toBeGreaterThanOrEqual(0.015);
    expect(reported).toEqual([]);
  });

  it('measures InvokeModelCommand for an Anthropic model from its Messages body', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ text: 'Hi from Claude', usage: cachedUsage });
    const response = await client.send(
      new InvokeModelCommand({ modelId: sonnet, body: anthropicBody, contentType: 'application/json' }),
    );
    const body = JSON.parse(response.body.transformToString()) as { content: { text: string }[] };
    expect(body.content[0]?.text).toBe('Hi from Claude');
    await expectUsage(registry, sonnet, cachedUsage, false, sonnetCost);
    expect(reported).toEqual([]);
  });

  it('measures InvokeModelCommand for another model from the token-count headers', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ text: 'Hi from Llama', usage: { input: 120, output: 30 } });
    const response = await client.send(
      new InvokeModelCommand({
        modelId: llama,
        body: JSON.stringify({ prompt: 'Hi' }),
        contentType: 'application/json',
      }),
    );
    expect(JSON.parse(response.body.transformToString())).toMatchObject({ generation: 'Hi from Llama' });
    await expectUsage(registry, llama, { input: 120, output: 30 }, false, usd(150, LLAMA));
    expect(reported).toEqual([]);
  });

  it('measures InvokeModelWithResponseStreamCommand for an Anthropic model, chunk by chunk', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ chunks: ['Hel', 'lo'], usage: cachedUsage, firstChunkDelayMs: 10 });
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: sonnet,
        body: anthropicBody,
        contentType: 'application/json',
      }),
    );
    const types: string[] = [];
    const decoder = new TextDecoder();
    for await (const event of response.body ?? []) {
      const chunk = JSON.parse(decoder.decode(event.chunk?.bytes)) as { type: string };
      types.push(chunk.type);
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    await expectUsage(registry, sonnet, cachedUsage, true, sonnetCost);
    expect(reported).toEqual([]);
  });

  it('measures InvokeModelWithResponseStreamCommand for another model from the invocation metrics', async () => {
    const { registry, client, reported } = measured();
    env.sim.enqueue({ chunks: ['Hel', 'lo'], usage: { input: 120, output: 30 } });
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: llama, body: JSON.stringify({ prompt: 'Hi' }) }),
    );
    let events = 0;
    for await (const _ of response.body ?? []) events++;
    expect(events).toBe(3);
    await expectUsage(registry, llama, { input: 120, output: 30 }, true, usd(150, LLAMA));
    expect(reported).toEqual([]);
  });

  describe.each([
    [429, 'rate_limit', ThrottlingException],
    [503, 'overloaded', ServiceUnavailableException],
    [500, 'server_error', Error],
    [400, 'bad_request', Error],
  ] as const)('a %i', (status, errorType, ErrorClass) => {
    it.each([false, true])(
      `is counted as ${errorType} (stream: %s), the caller gets the SDK's error`,
      async (stream) => {
        const { registry, client, reported } = measured();
        env.sim.enqueue({ status });
        const command = stream
          ? new ConverseStreamCommand({ modelId: nova, messages })
          : new ConverseCommand({ modelId: nova, messages });
        const error = await (client.send(command as ConverseCommand) as Promise<unknown>).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ErrorClass);
        expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(status);
        const text = await metricsText(registry);
        expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: errorType }]);
        expect(value(text, 'request_failures_total')).toBe(1);
        expect(value(text, 'requests_total', { ...labelsOf(nova), status: 'error' })).toBe(1);
        expect(value(text, 'requests_total')).toBe(1);
        expect(value(text, 'tokens_total')).toBe(0);
        expect(value(text, 'requests_in_flight')).toBe(0);
        expect(reported).toEqual([]);
      },
    );
  });

  it('records a call the SDK retried once, as the attempt that answered', async () => {
    const { registry, client } = measured({ maxAttempts: 2 });
    env.sim.enqueue({ status: 503 }, { usage: novaUsage });
    await client.send(new ConverseCommand({ modelId: nova, messages }));
    expect(env.sim.requests).toHaveLength(2);
    await expectUsage(registry, nova, novaUsage, false, novaCost);
  });

  it('records an exception event mid-stream once, as stream_error', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage: novaUsage, errorEventAfterChunks: 1 });
    const seen: string[] = [];
    const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages }));
    const error = await (async () => {
      for await (const event of response.stream ?? []) seen.push(event.contentBlockDelta?.delta?.text ?? '-');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['-', 'a']);
    expect((error as Error).name).toBe('ModelStreamErrorException');
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: 'stream_error' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream the caller breaks out of once, as aborted', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: novaUsage, chunkDelayMs: 5 });
    const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages }));
    for await (const event of response.stream ?? []) {
      if (event.contentBlockDelta) break;
    }
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: 'aborted' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream cancelled through abortSignal once, as aborted', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: novaUsage, chunkDelayMs: 200 });
    const controller = new AbortController();
    const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages }), {
      abortSignal: controller.signal,
    });
    const error = await (async () => {
      for await (const event of response.stream ?? []) if (event.contentBlockDelta) controller.abort();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: 'aborted' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records a stream the caller drops unread once it is garbage-collected, as aborted', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['never', ' read'], usage: novaUsage });
    await (async () => {
      await client.send(new ConverseStreamCommand({ modelId: nova, messages }));
    })();
    await expectInFlightUntilCollected(registry);
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: 'aborted' }]);
    expect(value(text, 'requests_total')).toBe(1);
  });

  it('records a stream cut by the connection as stream_error, with the prompt and output estimated', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['a', 'b', 'c'], usage: novaUsage, cutAfterChunks: 1 });
    const response = await client.send(new ConverseStreamCommand({ modelId: nova, messages }));
    const error = await (async () => {
      for await (const _ of response.stream ?? []) {
        // read on
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(nova), error_type: 'stream_error' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'usage_estimated_total')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records an InvokeModel stream the caller breaks out of once, as aborted', async () => {
    const { registry, client } = measured();
    env.sim.enqueue({ chunks: ['one', ' two', ' three'], usage: cachedUsage, chunkDelayMs: 5 });
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: sonnet, body: anthropicBody }),
    );
    let chunks = 0;
    for await (const _ of response.body ?? []) {
      if (++chunks === 3) break;
    }
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(sonnet), error_type: 'aborted' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(1);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('measures the aggregated BedrockRuntime client, callback style included', async () => {
    const registry = newRegistry();
    const client = instrument(
      new BedrockRuntime({
        region: 'us-east-1',
        endpoint: env.sim.url,
        credentials: { accessKeyId: 'AKIDLLMETEREXAMPLE', secretAccessKey: SECRET },
        requestHandler: new NodeHttpHandler(),
      }),
      { registry },
    );
    env.sim.enqueue({ usage: novaUsage }, { usage: novaUsage });
    await client.converse({ modelId: nova, messages });
    await new Promise<void>((resolve, reject) => {
      client.converse({ modelId: nova, messages }, (error: unknown) => (error ? reject(error) : resolve()));
    });
    const text = await metricsText(registry);
    expect(value(text, 'requests_total', { ...labelsOf(nova), status: 'ok' })).toBe(2);
    expect(value(text, 'tokens_total', { ...labelsOf(nova), type: 'input' })).toBe(2 * novaUsage.input);
  });

  describe('cache writes by TTL (Converse cacheDetails, Anthropic cache_creation)', () => {
    // 1,322 tokens written to the cache, 1,000 of them for an hour; 2 uncached input tokens; 5 output tokens.
    const ttlUsage = { input: 1324, output: 5, cacheWrite: 1322, cacheWrite1h: 1000 };
    // genai-prices has no 1-hour cache write price for Bedrock (it has one for Anthropic's own API), so 1-hour
    // writes are charged the cache write price, as its calcPrice does: 0.00554235 with or without the split.
    const ttlCost = usd(2, SONNET.input) + usd(1322, SONNET.cacheWrite) + usd(5, SONNET.output);
    const recorded = { ...ttlUsage, cachedInput: 0, reasoning: 0 };

    /** The bundled prices, keeping each usage the meter priced: shows the 1-hour part reached the record. */
    class PricedUsages extends PriceBook {
      readonly usages: Usage[] = [];
      override cost(provider: string, model: string, usage: Usage): number | undefined {
        this.usages.push(usage);
        return super.cost(provider, model, usage);
      }
    }

    it('reads ConverseCommand usage.cacheDetails into the 1-hour cache writes', async () => {
      const prices = new PricedUsages();
      const { registry, client, reported } = measured({}, prices);
      env.sim.enqueue({ text: 'Hello from Bedrock', usage: ttlUsage });
      const response = await client.send(new ConverseCommand({ modelId: sonnet, messages }));
      expect(response.usage?.cacheWriteInputTokens).toBe(1322);
      expect(response.usage?.cacheDetails).toEqual([
        { ttl: '1h', inputTokens: 1000 },
        { ttl: '5m', inputTokens: 322 },
      ]);
      await expectUsage(registry, sonnet, ttlUsage, false, ttlCost);
      expect(ttlCost).toBeCloseTo(0.00554235, 15);
      expect(prices.usages).toEqual([recorded]);
      expect(reported).toEqual([]);
    });

    it('reads the ConverseStreamCommand metadata event cacheDetails', async () => {
      const prices = new PricedUsages();
      const { registry, client, reported } = measured({}, prices);
      const usage = { input: 1700, output: 40, cachedInput: 300, cacheWrite: 1200, cacheWrite1h: 800 };
      env.sim.enqueue({ chunks: ['Hel', 'lo'], usage });
      const response = await client.send(new ConverseStreamCommand({ modelId: sonnet, messages }));
      const details: unknown[] = [];
      for await (const event of response.stream ?? []) details.push(...(event.metadata?.usage?.cacheDetails ?? []));
      expect(details).toEqual([
        { ttl: '1h', inputTokens: 800 },
        { ttl: '5m', inputTokens: 400 },
      ]);
      const cost =
        usd(200, SONNET.input) + usd(300, SONNET.cacheRead) + usd(1200, SONNET.cacheWrite) + usd(40, SONNET.output);
      await expectUsage(registry, sonnet, usage, true, cost);
      expect(cost).toBeCloseTo(0.006369, 15);
      expect(prices.usages).toEqual([{ ...usage, reasoning: 0 }]);
      expect(reported).toEqual([]);
    });

    it("reads an InvokeModelCommand Anthropic body's cache_creation", async () => {
      const prices = new PricedUsages();
      const { registry, client, reported } = measured({}, prices);
      env.sim.enqueue({ text: 'Hi from Claude', usage: ttlUsage });
      const response = await client.send(
        new InvokeModelCommand({ modelId: sonnet, body: anthropicBody, contentType: 'application/json' }),
      );
      const body = JSON.parse(response.body.transformToString()) as { usage: unknown };
      expect(body.usage).toMatchObject({
        cache_creation: { ephemeral_5m_input_tokens: 322, ephemeral_1h_input_tokens: 1000 },
      });
      await expectUsage(registry, sonnet, ttlUsage, false, ttlCost);
      expect(prices.usages).toEqual([recorded]);
      expect(reported).toEqual([]);
    });
  });

  it('leaves other commands alone and instruments a client once', async () => {
    const { registry, client } = measured();
    expect(instrument(client, { registry })).toBe(client);
    env.sim.enqueue({ usage: novaUsage });
    await client.send(new ConverseCommand({ modelId: nova, messages }));
    // CountTokens makes no model call: not measured (the simulator does not know it, so it fails).
    await client
      .send(new CountTokensCommand({ modelId: nova, input: { converse: { messages } } }))
      .catch(() => undefined);
    expect(env.sim.requests.map((request) => request.path.split('/').at(-1))).toEqual(['converse', 'count-tokens']);
    const text = await metricsText(registry);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'request_failures_total')).toBe(0);
  });
});
