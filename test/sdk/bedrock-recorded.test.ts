import { readFileSync } from 'node:fs';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { calcPrice, extractUsage, findProvider } from '@pydantic/genai-prices';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { useReplayUpstream } from '../support/replay-upstream.js';
import { metricsText, series, value } from './harness.js';
import { expectOneCall, type Measured, measure } from './measured-client.js';

/**
 * Real Bedrock Runtime responses, recorded from the live AWS API by other public projects (provenance in
 * packages/core/src/wire/fixtures/bedrock/PROVENANCE.md and manifest.json), replayed byte for byte to the real
 * `@aws-sdk/client-bedrock-runtime`, instrumented. The event streams are the recorded binary AWS event streams,
 * so the SDK's own decoder (and its CRC checks) reads them.
 */

const FIXTURES = new URL('../../packages/core/src/wire/fixtures/bedrock/', import.meta.url);

interface ManifestEntry {
  id: string;
  file: string;
  encoding: 'utf8' | 'base64';
  action: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';
  modelId: string;
  status: number;
  contentType: string;
  responseHeaders?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8')) as {
  fixtures: ManifestEntry[];
};

function recording(id: string): ManifestEntry & { body: Buffer } {
  const entry = manifest.fixtures.find((fixture) => fixture.id === id);
  if (entry === undefined) throw new Error(`no recorded fixture ${id}`);
  const text = readFileSync(new URL(entry.file, FIXTURES), 'utf8');
  const body = entry.encoding === 'base64' ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : Buffer.from(text);
  return { ...entry, body };
}

const aws = findProvider({ providerId: 'aws' });

/**
 * The cost genai-prices itself gives a recorded body: its own AWS Bedrock usage extractor (`default` flavor for
 * Converse's `usage`, `anthropic` for an Anthropic Messages body) and `calcPrice` for the model id, as called.
 */
function genaiPricesCost(body: unknown, modelId: string, flavor?: 'anthropic'): number {
  if (aws === undefined) throw new Error('genai-prices has no aws provider');
  const { usage } = extractUsage(aws, body, flavor);
  const price = calcPrice(usage, modelId, { providerId: 'aws' });
  if (price === null || price === undefined) throw new Error(`genai-prices has no price for ${modelId}`);
  return price.total_price;
}

/** USD at a per-million price. */
const usd = (tokens: number, perMillion: number) => (tokens * perMillion) / 1_000_000;

const SECRET = 'llmeter-not-a-real-secret-key-0123456789';
const labelsOf = (model: string) => ({ provider: 'aws.bedrock', model, operation: 'chat' });

interface Tokens {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
}

describe('@aws-sdk/client-bedrock-runtime replaying recorded Bedrock responses', () => {
  const upstream = useReplayUpstream();
  beforeEach(() => upstream.reset());

  function measured(): Measured<BedrockRuntimeClient> {
    return measure(
      new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: upstream.url,
        credentials: { accessKeyId: 'AKIDLLMETEREXAMPLE', secretAccessKey: SECRET },
        maxAttempts: 1,
        // The client speaks HTTP/2 by default (as to AWS, over TLS); the replay server speaks HTTP/1.1.
        requestHandler: new NodeHttpHandler(),
      }),
    );
  }

  function enqueue(id: string): ManifestEntry & { body: Buffer } {
    const fixture = recording(id);
    upstream.enqueue({
      status: fixture.status,
      contentType: fixture.contentType,
      headers: fixture.responseHeaders,
      body: fixture.body,
      // AWS sends event streams chunked; JSON bodies with a content-length.
      framing: fixture.encoding === 'base64' ? 'chunked' : 'length',
    });
    return fixture;
  }

  /** Every series of one successful call, exactly: tokens by type, cost, TTFT presence, recorded once. */
  async function expectRecorded(registry: Registry, model: string, tokens: Tokens, cost: number, stream: boolean) {
    const labels = labelsOf(model);
    const text = await metricsText(registry);
    expect(series(text, 'requests_total')).toEqual([{ ...labels, status: 'ok' }]);
    expectOneCall(text, labels, { tokens, cost, stream, secret: SECRET });
  }

  // us.anthropic.claude-sonnet-4-5-20250929-v1:0 (genai-prices: regional.anthropic.claude-sonnet-4-5-20250929-v1:0)
  // per million: input 3.30, cache write 4.125, cache read 0.33, output 16.50.
  const SONNET_45 = { input: 3.3, cacheWrite: 4.125, cacheRead: 0.33, output: 16.5 };
  const sonnet45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const cacheMessages = [{ role: 'user' as const, content: [{ text: 'What is 10 + 11?' }] }];

  it('Converse, cache write (pydantic-ai): inputTokens 2 + cacheWriteInputTokens 1322, output 5', async () => {
    const { registry, client, reported } = measured();
    const fixture = enqueue('converse-cache-write');
    const response = await client.send(new ConverseCommand({ modelId: sonnet45, messages: cacheMessages }));
    expect(response.output?.message?.content?.[0]?.text).toBe('21');
    expect(response.usage).toMatchObject({ inputTokens: 2, cacheWriteInputTokens: 1322, cacheReadInputTokens: 0 });
    expect(upstream.requests[0]?.url).toBe(`/model/${encodeURIComponent(sonnet45)}/converse`);
    const cost = usd(2, SONNET_45.input) + usd(1322, SONNET_45.cacheWrite) + usd(5, SONNET_45.output);
    expect(cost).toBeCloseTo(0.00554235, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), sonnet45)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, sonnet45, { input: 1324, cachedInput: 0, cacheWrite: 1322, output: 5 }, cost, false);
    expect(reported).toEqual([]);
  });

  it('Converse, cache read (pydantic-ai): inputTokens 2 + cacheReadInputTokens 1322, output 5', async () => {
    const { registry, client, reported } = measured();
    const fixture = enqueue('converse-cache-read');
    await client.send(new ConverseCommand({ modelId: sonnet45, messages: cacheMessages }));
    const cost = usd(2, SONNET_45.input) + usd(1322, SONNET_45.cacheRead) + usd(5, SONNET_45.output);
    expect(cost).toBeCloseTo(0.00052536, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), sonnet45)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, sonnet45, { input: 1324, cachedInput: 1322, cacheWrite: 0, output: 5 }, cost, false);
    expect(reported).toEqual([]);
  });

  it('Converse, cached system prompt (pydantic-ai): inputTokens 13 + cacheReadInputTokens 1504, output 5', async () => {
    const { registry, client, reported } = measured();
    const fixture = enqueue('converse-cache-read-system-prompt');
    await client.send(new ConverseCommand({ modelId: sonnet45, messages: cacheMessages }));
    const cost = usd(13, SONNET_45.input) + usd(1504, SONNET_45.cacheRead) + usd(5, SONNET_45.output);
    expect(cost).toBeCloseTo(0.00062172, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), sonnet45)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, sonnet45, { input: 1517, cachedInput: 1504, cacheWrite: 0, output: 5 }, cost, false);
    expect(reported).toEqual([]);
  });

  it('Converse, a tool use from Nova Micro (pydantic-ai): 551 input, 136 output', async () => {
    const { registry, client, reported } = measured();
    const model = 'us.amazon.nova-micro-v1:0';
    const fixture = enqueue('converse-tool-use');
    const response = await client.send(
      new ConverseCommand({
        modelId: model,
        messages: [{ role: 'user', content: [{ text: 'What was the temperature in London 1st January 2022?' }] }],
      }),
    );
    expect(response.stopReason).toBe('tool_use');
    expect(response.output?.message?.content?.[1]?.toolUse?.input).toEqual({ city: 'London', date: '2022-01-01' });
    // amazon.nova-micro-v1:0 per million: input 0.035, output 0.14.
    const cost = usd(551, 0.035) + usd(136, 0.14);
    expect(cost).toBeCloseTo(0.000038325, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 551, cachedInput: 0, cacheWrite: 0, output: 136 }, cost, false);
    expect(reported).toEqual([]);
  });

  it('Converse at the flex service tier (pydantic-ai, Nova Pro): charged standard, counted as an unpriced tier', async () => {
    const { registry, client, reported } = measured();
    const model = 'amazon.nova-pro-v1:0';
    const fixture = enqueue('converse-service-tier-flex');
    const response = await client.send(
      new ConverseCommand({
        modelId: model,
        messages: [{ role: 'user', content: [{ text: 'What is the capital of France?' }] }],
        serviceTier: { type: 'flex' },
      }),
    );
    expect(response.serviceTier).toEqual({ type: 'flex' });
    // genai-prices has Nova Pro's standard price only (input 0.80, output 3.20 per million): the call is charged
    // that, and said to be at a tier with no price of its own.
    const cost = usd(13, 0.8) + usd(70, 3.2);
    expect(cost).toBeCloseTo(0.0002344, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 13, cachedInput: 0, cacheWrite: 0, output: 70 }, cost, false);
    const text = await metricsText(registry);
    expect(series(text, 'unpriced_tier_calls_total')).toEqual([{ ...labelsOf(model), service_tier: 'flex' }]);
    expect(value(text, 'unpriced_tier_calls_total', { service_tier: 'flex' })).toBe(1);
    expect(reported).toEqual([]);
  });

  /** Reads a ConverseStream to its end; the metadata event's usage as the SDK decoded it, and the text. */
  async function readConverseStream(client: BedrockRuntimeClient, modelId: string) {
    const response = await client.send(
      new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
    );
    const kinds: string[] = [];
    let text = '';
    let metadataUsage: unknown;
    for await (const event of response.stream ?? []) {
      kinds.push(Object.keys(event).filter((key) => key !== '$unknown')[0] ?? '');
      text += event.contentBlockDelta?.delta?.text ?? '';
      if (event.metadata) metadataUsage = event.metadata.usage;
    }
    return { kinds, text, metadataUsage };
  }

  it('ConverseStream (vercel/ai live capture, eu.anthropic.claude-sonnet-4-6): 12 input, 5 output, TTFT', async () => {
    const { registry, client, reported } = measured();
    const model = 'eu.anthropic.claude-sonnet-4-6';
    enqueue('converse-stream-short');
    const { kinds, text, metadataUsage } = await readConverseStream(client, model);
    expect(text).toBe('OK.');
    expect(kinds).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    // genai-prices: regional.anthropic.claude-sonnet-4-6-v1:0, input 3.30, output 16.50 per million.
    const cost = usd(12, 3.3) + usd(5, 16.5);
    expect(cost).toBeCloseTo(0.0001221, 15);
    expect(genaiPricesCost({ usage: metadataUsage }, model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 12, cachedInput: 0, cacheWrite: 0, output: 5 }, cost, true);
    expect(reported).toEqual([]);
  });

  it('ConverseStream with extended thinking (pydantic-ai, Claude Sonnet 4): 37 input, 74 output, TTFT', async () => {
    const { registry, client, reported } = measured();
    const model = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
    enqueue('converse-stream-reasoning');
    const { kinds, text, metadataUsage } = await readConverseStream(client, model);
    expect(text).toBe('Hello! How are you doing today? Is there anything I can help you with?');
    expect(kinds.filter((kind) => kind === 'contentBlockDelta')).toHaveLength(20);
    expect(kinds.at(-1)).toBe('metadata');
    // Bedrock's outputTokens include the thinking; Converse reports no separate reasoning count.
    // genai-prices: regional.anthropic.claude-sonnet-4-20250514-v1:0, input 3, output 15 per million.
    const cost = usd(37, 3) + usd(74, 15);
    expect(cost).toBeCloseTo(0.001221, 15);
    expect(genaiPricesCost({ usage: metadataUsage }, model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 37, cachedInput: 0, cacheWrite: 0, output: 74 }, cost, true);
    expect(reported).toEqual([]);
  });

  it('ConverseStream with a tool use (openllmetry, Claude 3 Sonnet): 236 input, 58 output, TTFT', async () => {
    const { registry, client, reported } = measured();
    const model = 'anthropic.claude-3-sonnet-20240229-v1:0';
    enqueue('converse-stream-tool-use');
    const { kinds, text, metadataUsage } = await readConverseStream(client, model);
    expect(text).toBe('Okay, let me check the weather for Barcelona using the available tool:');
    expect(kinds).toContain('contentBlockStart');
    // genai-prices: regional.anthropic.claude-3-sonnet-20240229-v1:0, input 3, output 15 per million.
    const cost = usd(236, 3) + usd(58, 15);
    expect(cost).toBeCloseTo(0.001578, 15);
    expect(genaiPricesCost({ usage: metadataUsage }, model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 236, cachedInput: 0, cacheWrite: 0, output: 58 }, cost, true);
    expect(reported).toEqual([]);
  });

  it('ConverseStream opening with an empty text delta (pydantic-ai, gpt-oss-120b): TTFT at the first token', async () => {
    const { registry, client, reported } = measured();
    const model = 'openai.gpt-oss-120b-1:0';
    const fixture = recording('converse-stream-empty-text-delta');
    // The recorded bytes in pieces of 345 bytes (messageStart and the empty text delta are the first 345), 60 ms
    // apart: the first real token (a reasoning delta) completes in the third piece, 120 ms in.
    upstream.enqueue({
      contentType: fixture.contentType,
      body: fixture.body,
      framing: 'chunked',
      pace: { chunkBytes: 345, delayMs: 60 },
    });
    const { text, metadataUsage } = await readConverseStream(client, model);
    expect(text).toBe('Hello! 👋 How can I assist you today?');
    // genai-prices: openai.gpt-oss-120b-1:0, input 0.15, output 0.60 per million.
    const cost = usd(66, 0.15) + usd(45, 0.6);
    expect(cost).toBeCloseTo(0.0000369, 15);
    expect(genaiPricesCost({ usage: metadataUsage }, model)).toBeCloseTo(cost, 15);
    await expectRecorded(registry, model, { input: 66, cachedInput: 0, cacheWrite: 0, output: 45 }, cost, true);
    expect(value(await metricsText(registry), 'time_to_first_token_seconds_sum')).toBeGreaterThanOrEqual(0.1);
    expect(reported).toEqual([]);
  });

  const claude3 = 'anthropic.claude-3-sonnet-20240229-v1:0';
  const anthropicBody = JSON.stringify({
    messages: [{ role: 'user', content: 'Tell me a joke about opentelemetry' }],
    max_tokens: 200,
    temperature: 0.5,
    anthropic_version: 'bedrock-2023-05-31',
  });

  it('InvokeModel, Anthropic Messages JSON (openllmetry, Claude 3 Sonnet): 16 input, 19 output', async () => {
    const { registry, client, reported } = measured();
    const fixture = enqueue('invoke-anthropic-json');
    const response = await client.send(
      new InvokeModelCommand({ modelId: claude3, body: anthropicBody, contentType: 'application/json' }),
    );
    const body = JSON.parse(response.body.transformToString()) as { id: string };
    expect(body.id).toBe('msg_bdrk_01WR9VHqpyBzBhzgwCDapaQD');
    expect(upstream.requests[0]?.url).toBe(`/model/${encodeURIComponent(claude3)}/invoke`);
    const cost = usd(16, 3) + usd(19, 15);
    expect(cost).toBeCloseTo(0.000333, 15);
    expect(genaiPricesCost(JSON.parse(fixture.body.toString()), claude3, 'anthropic')).toBeCloseTo(cost, 15);
    await expectRecorded(registry, claude3, { input: 16, cachedInput: 0, cacheWrite: 0, output: 19 }, cost, false);
    expect(reported).toEqual([]);
  });

  it('InvokeModelWithResponseStream, Anthropic events (openllmetry, Claude 3 Sonnet): 16 input, 21 output, TTFT', async () => {
    const { registry, client, reported } = measured();
    enqueue('invoke-stream-anthropic');
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: claude3,
        body: anthropicBody,
        contentType: 'application/json',
      }),
    );
    const decoder = new TextDecoder();
    const chunks: { type: string; 'amazon-bedrock-invocationMetrics'?: unknown }[] = [];
    for await (const event of response.body ?? []) chunks.push(JSON.parse(decoder.decode(event.chunk?.bytes)));
    expect(chunks).toHaveLength(23);
    expect(chunks.at(-1)).toEqual({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: 16,
        outputTokenCount: 21,
        invocationLatency: 738,
        firstByteLatency: 378,
      },
    });
    // message_start reports input_tokens 16 (output 1 so far); message_delta the final output_tokens 21.
    const cost = usd(16, 3) + usd(21, 15);
    expect(cost).toBeCloseTo(0.000363, 15);
    expect(genaiPricesCost({ usage: { input_tokens: 16, output_tokens: 21 } }, claude3, 'anthropic')).toBeCloseTo(
      cost,
      15,
    );
    await expectRecorded(registry, claude3, { input: 16, cachedInput: 0, cacheWrite: 0, output: 21 }, cost, true);
    expect(reported).toEqual([]);
  });

  it.each([
    ['InvokeModel', false, 'priority', usd(16, 3) + usd(19, 15)],
    ['InvokeModelWithResponseStream', true, 'flex', usd(16, 3) + usd(21, 15)],
  ] as const)(
    '%s: the X-Amzn-Bedrock-Service-Tier header (added by this test to the recorded body) is the tier',
    async (_, stream, tier, cost) => {
      const { registry, client, reported } = measured();
      const fixture = recording(stream ? 'invoke-stream-anthropic' : 'invoke-anthropic-json');
      upstream.enqueue({
        contentType: fixture.contentType,
        headers: { ...fixture.responseHeaders, 'x-amzn-bedrock-service-tier': tier },
        body: fixture.body,
        framing: stream ? 'chunked' : 'length',
      });
      if (stream) {
        const response = await client.send(
          new InvokeModelWithResponseStreamCommand({
            modelId: claude3,
            body: anthropicBody,
            contentType: 'application/json',
          }),
        );
        expect(response.serviceTier).toBe(tier);
        for await (const _ of response.body ?? []) {
          // read to the end
        }
      } else {
        const response = await client.send(
          new InvokeModelCommand({ modelId: claude3, body: anthropicBody, contentType: 'application/json' }),
        );
        expect(response.serviceTier).toBe(tier);
      }
      const tokens = { input: 16, cachedInput: 0, cacheWrite: 0, output: stream ? 21 : 19 };
      await expectRecorded(registry, claude3, tokens, cost, stream);
      const text = await metricsText(registry);
      expect(series(text, 'unpriced_tier_calls_total')).toEqual([{ ...labelsOf(claude3), service_tier: tier }]);
      expect(reported).toEqual([]);
    },
  );

  /** One failed call, exactly: its error type, no tokens, no cost, nothing left in flight. */
  async function expectFailed(registry: Registry, model: string, errorType: string) {
    const text = await metricsText(registry);
    expect(series(text, 'request_failures_total')).toEqual([{ ...labelsOf(model), error_type: errorType }]);
    expect(value(text, 'request_failures_total')).toBe(1);
    expect(series(text, 'requests_total')).toEqual([{ ...labelsOf(model), status: 'error' }]);
    expect(value(text, 'requests_total')).toBe(1);
    expect(value(text, 'tokens_total')).toBe(0);
    expect(value(text, 'cost_usd_total')).toBe(0);
    expect(value(text, 'time_to_first_token_seconds_count')).toBe(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
  }

  const hello = [{ role: 'user' as const, content: [{ text: 'hello' }] }];
  const invalidModel = 'us.does-not-exist-model-v1:0';

  it.each([
    ['Converse', 'converse-error-400-invalid-model', false],
    ['ConverseStream', 'converse-stream-error-400-invalid-model', true],
  ] as const)(
    'a recorded 400 to %s (pydantic-ai, invalid model identifier) is one bad_request failure',
    async (_, id, stream) => {
      const { registry, client, reported } = measured();
      enqueue(id);
      const command = stream
        ? new ConverseStreamCommand({ modelId: invalidModel, messages: hello })
        : new ConverseCommand({ modelId: invalidModel, messages: hello });
      const error = await (client.send(command as ConverseCommand) as Promise<unknown>).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe('The provided model identifier is invalid.');
      expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
      expect(upstream.requests[0]?.url).toBe(
        `/model/${encodeURIComponent(invalidModel)}/${stream ? 'converse-stream' : 'converse'}`,
      );
      await expectFailed(registry, invalidModel, 'bad_request');
      expect(reported).toEqual([]);
    },
  );

  it('a recorded 403 UnrecognizedClientException (openllmetry, x-amzn-ErrorType) is one auth failure', async () => {
    const { registry, client, reported } = measured();
    const model = 'amazon.titan-text-express-v1';
    enqueue('converse-error-403-unrecognized-client');
    const error = await client.send(new ConverseCommand({ modelId: model, messages: hello })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnrecognizedClientException');
    expect((error as Error).message).toBe('The security token included in the request is invalid.');
    await expectFailed(registry, model, 'auth');
    expect(reported).toEqual([]);
  });
});
