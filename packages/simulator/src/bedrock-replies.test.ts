import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockRoute } from './bedrock-replies.js';
import { type Simulator, startSimulator } from './server.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Splits an event-stream body into its messages: headers as plain strings, payload as JSON. */
function decodeMessages(bytes: Uint8Array): { headers: Record<string, unknown>; payload: unknown }[] {
  const messages: { headers: Record<string, unknown>; payload: unknown }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    const headers = Object.fromEntries(Object.entries(message.headers).map(([name, header]) => [name, header.value]));
    messages.push({ headers, payload: JSON.parse(toUtf8(message.body)) });
    offset += length;
  }
  return messages;
}

describe('Bedrock replies', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  const post = (path: string, body: unknown) =>
    fetch(`${sim.url}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  it('routes /model/{modelId}/{action}', () => {
    expect(bedrockRoute('/model/amazon.nova-lite-v1%3A0/converse-stream')).toEqual({
      model: 'amazon.nova-lite-v1:0',
      action: 'converse-stream',
    });
    expect(bedrockRoute('/model/x/other')).toBeUndefined();
  });

  it('answers converse with usage that excludes cache reads and writes from inputTokens', async () => {
    sim.enqueue({ text: 'Hi', usage: { input: 100, output: 7, cachedInput: 60, cacheWrite: 10 } });
    const response = await post('/model/amazon.nova-lite-v1%3A0/converse', { messages: [] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.output).toEqual({ message: { role: 'assistant', content: [{ text: 'Hi' }] } });
    expect(body.usage).toEqual({
      inputTokens: 30,
      outputTokens: 7,
      totalTokens: 107,
      cacheReadInputTokens: 60,
      cacheWriteInputTokens: 10,
      cacheDetails: [{ ttl: '5m', inputTokens: 10 }],
    });
  });

  it('splits cache writes by TTL in cacheDetails (1h first), in converse and in the converse-stream metadata', async () => {
    const usage = { input: 1700, output: 40, cachedInput: 300, cacheWrite: 1200, cacheWrite1h: 800 };
    const expected = {
      inputTokens: 200,
      outputTokens: 40,
      totalTokens: 1740,
      cacheReadInputTokens: 300,
      cacheWriteInputTokens: 1200,
      cacheDetails: [
        { ttl: '1h', inputTokens: 800 },
        { ttl: '5m', inputTokens: 400 },
      ],
    };
    sim.enqueue({ text: 'Hi', usage });
    const json = (await (await post('/model/m/converse', { messages: [] })).json()) as Record<string, unknown>;
    expect(json.usage).toEqual(expected);
    sim.enqueue({ chunks: ['Hi'], usage: { ...usage, cacheWrite1h: 1200 } });
    const messages = decodeMessages(new Uint8Array(await (await post('/model/m/converse-stream', {})).arrayBuffer()));
    expect(messages.at(-1)?.payload).toMatchObject({
      usage: { cacheWriteInputTokens: 1200, cacheDetails: [{ ttl: '1h', inputTokens: 1200 }] },
    });
  });

  it("gives an Anthropic model's invoke body Anthropic's cache_creation split", async () => {
    sim.enqueue({ text: 'Hi', usage: { input: 1324, output: 5, cacheWrite: 1322, cacheWrite1h: 1000 } });
    const response = await post('/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke', { messages: [] });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.usage).toEqual({
      input_tokens: 2,
      cache_creation_input_tokens: 1322,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 322, ephemeral_1h_input_tokens: 1000 },
      output_tokens: 5,
    });
  });

  it('streams converse-stream as AWS event-stream messages with valid CRCs and Bedrock headers', async () => {
    sim.enqueue({ chunks: ['Hel', 'lo'], usage: { input: 12, output: 2 } });
    const response = await post('/model/amazon.nova-lite-v1%3A0/converse-stream', { messages: [] });
    expect(response.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const messages = decodeMessages(new Uint8Array(await response.arrayBuffer()));
    expect(messages.map((m) => m.headers[':event-type'])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    for (const { headers } of messages) {
      expect(headers).toMatchObject({ ':message-type': 'event', ':content-type': 'application/json' });
    }
    expect(messages[1]?.payload).toEqual({ contentBlockIndex: 0, delta: { text: 'Hel' } });
    expect(messages[5]?.payload).toMatchObject({ usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14 } });
  });

  it('ends a stream that fails midway with an exception message', async () => {
    sim.enqueue({ chunks: ['a', 'b'], errorEventAfterChunks: 1 });
    const response = await post('/model/m/converse-stream', { messages: [] });
    const messages = decodeMessages(new Uint8Array(await response.arrayBuffer()));
    // The head and the one chunk sent before the failure, then the exception in place of the rest.
    expect(messages.map((m) => m.headers[':event-type'] ?? m.headers[':exception-type'])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'modelStreamErrorException',
    ]);
    expect(messages[2]?.payload).toEqual({ message: 'The model stream failed (simulated).' });
    expect(messages.at(-1)?.headers).toEqual({
      ':exception-type': 'modelStreamErrorException',
      ':content-type': 'application/json',
      ':message-type': 'exception',
    });
  });

  it('streams an Anthropic model through invoke-with-response-stream as base64 chunks with invocation metrics', async () => {
    sim.enqueue({ chunks: ['Hi'], usage: { input: 12, output: 2 } });
    const response = await post('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream', {});
    const chunks = decodeMessages(new Uint8Array(await response.arrayBuffer())).map(({ headers, payload }) => {
      expect(headers[':event-type']).toBe('chunk');
      const bytes = (payload as { bytes: string }).bytes;
      return JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')) as Record<string, unknown>;
    });
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(chunks.at(-1)?.['amazon-bedrock-invocationMetrics']).toMatchObject({
      inputTokenCount: 12,
      outputTokenCount: 2,
    });
  });

  it('names the AWS error type of a failure in x-amzn-errortype', async () => {
    sim.enqueue({ status: 429 });
    const response = await post('/model/m/converse', { messages: [] });
    expect(response.status).toBe(429);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException:/);
    expect(await response.json()).toEqual({ message: 'ThrottlingException (simulated).' });
  });
});
