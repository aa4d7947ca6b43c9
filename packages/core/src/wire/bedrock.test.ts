import { describe, expect, it } from 'vitest';
import { errorTypeFromError } from '../error-type.js';
import { PriceBook } from '../pricing/price-book.js';
import type { Usage } from '../record.js';
import { bedrockPathFacts, bedrockWireFormat } from './bedrock.js';
import { BedrockInvokeStreamAccumulator, bedrockInvokeResponse, isBedrockAnthropicModel } from './bedrock-invoke.js';
import { bedrockInvocationUsage, bedrockUsage } from './bedrock-usage.js';
import { wireFormatForPath, wireFormats } from './wire-formats.js';

function usage(input: number, output: number, cachedInput = 0, cacheWrite = 0): Usage {
  return { input, output, cachedInput, cacheWrite, reasoning: 0 };
}

describe('Bedrock paths', () => {
  it.each([
    ['/model/amazon.nova-lite-v1%3A0/converse', 'amazon.nova-lite-v1:0', 'converse'],
    [
      '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream',
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'converse-stream',
    ],
    ['/model/anthropic.claude-3-5-haiku-20241022-v1:0/invoke', 'anthropic.claude-3-5-haiku-20241022-v1:0', 'invoke'],
    [
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-pro-v1%3A0/invoke-with-response-stream',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0',
      'invoke-with-response-stream',
    ],
  ] as const)('%s names %s, %s', (path, model, action) => {
    expect(bedrockPathFacts(path)).toEqual({ model, action });
  });

  it('names nothing for other paths, and a bad escape', () => {
    expect(bedrockPathFacts('/v1/chat/completions')).toBeUndefined();
    expect(bedrockPathFacts('/model/x/count-tokens')).toBeUndefined();
    expect(bedrockPathFacts('/model/%E0%A4%A/converse')).toBeUndefined();
  });

  it('reads the model from the path, or from the command input', () => {
    expect(bedrockWireFormat.readRequest({}, '/model/amazon.nova-lite-v1%3A0/converse-stream')).toEqual({
      model: 'amazon.nova-lite-v1:0',
      stream: true,
    });
    expect(bedrockWireFormat.readRequest({ modelId: 'amazon.nova-lite-v1:0', messages: [] })).toEqual({
      model: 'amazon.nova-lite-v1:0',
      stream: false,
    });
    expect(bedrockWireFormat.operationForPath('/model/m/converse')).toBe('chat');
    expect(bedrockWireFormat.operationForPath('/model/m/invoke')).toBe('other');
  });

  it('is a registered wire format, but no proxied path is Bedrock (SigV4 signs the host)', () => {
    expect(wireFormats.bedrock).toBe(bedrockWireFormat);
    expect(wireFormatForPath('/model/amazon.nova-lite-v1%3A0/converse')).toBeUndefined();
  });
});

describe('Bedrock usage', () => {
  it('adds cache reads and writes to inputTokens, which excludes them (AWS documentation example)', () => {
    const reported = {
      inputTokens: 2,
      outputTokens: 29,
      totalTokens: 1854,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 1823,
    };
    expect(bedrockUsage(reported)).toEqual(usage(1825, 29, 0, 1823));
    expect(bedrockUsage({ inputTokens: 12, outputTokens: 3, totalTokens: 15 })).toEqual(usage(12, 3));
  });

  it('is undefined without both counts, or with bogus ones', () => {
    expect(bedrockUsage({ inputTokens: 12 })).toBeUndefined();
    expect(bedrockUsage({ inputTokens: '12', outputTokens: 3 })).toBeUndefined();
    expect(bedrockUsage(undefined)).toBeUndefined();
  });

  it('reads the invocation metrics of an InvokeModel stream', () => {
    expect(bedrockInvocationUsage({ inputTokenCount: 20, outputTokenCount: 7, invocationLatency: 900 })).toEqual(
      usage(20, 7),
    );
    expect(bedrockInvocationUsage({ inputTokenCount: 20, outputTokenCount: 7, cacheReadInputTokenCount: 100 })).toEqual(
      usage(120, 7, 100),
    );
  });

  it('reads a Converse response', () => {
    const body = {
      output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } },
      usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 },
    };
    expect(bedrockWireFormat.parseResponse('chat', body)).toEqual({ usage: usage(5, 1), responseModel: undefined });
  });

  it('tells an AWS SDK service error by its $metadata status', () => {
    const throttled = Object.assign(new Error('Too many requests'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 429 },
    });
    expect(errorTypeFromError(throttled)).toBe('rate_limit');
    expect(errorTypeFromError({ name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } })).toBe(
      'overloaded',
    );
    expect(errorTypeFromError({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })).toBe('bad_request');
    expect(errorTypeFromError({ name: 'ModelTimeoutException', $metadata: { httpStatusCode: 408 } })).toBe('timeout');
  });
});

describe('Bedrock prices (genai-prices, provider aws)', () => {
  const book = new PriceBook();
  it('prices a Claude inference profile at its regional price', () => {
    // 300 uncached input at 3.30, 600 cache reads at 0.33, 100 cache writes at 4.125, 50 output at 16.50 per million.
    expect(
      book.cost('aws.bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', usage(1000, 50, 600, 100)),
    ).toBeCloseTo(0.0024255, 15);
  });
  it('prices Nova and Llama', () => {
    // 150 at 0.06, 50 cache reads at 0.015, 40 output at 0.24 per million.
    expect(book.cost('aws.bedrock', 'amazon.nova-lite-v1:0', usage(200, 40, 50))).toBeCloseTo(0.00001935, 15);
    // 150 tokens at 0.22 per million.
    expect(book.cost('aws.bedrock', 'meta.llama3-1-8b-instruct-v1:0', usage(120, 30))).toBeCloseTo(0.000033, 15);
  });
});

describe('BedrockConverseStreamAccumulator', () => {
  it('follows the SDK union events: content, messageStop, metadata', () => {
    const accumulator = bedrockWireFormat.createStreamAccumulator('chat');
    const kinds = [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hel' } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'lo' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't', name: 'lookup' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"q":1}' } } } },
      { messageStop: { stopReason: 'tool_use' } },
    ].map((event) => accumulator.push(event));
    expect(kinds).toEqual(['other', 'content', 'content', 'other', 'content', 'content', 'other']);
    expect(accumulator.summary()).toMatchObject({ finished: true, failed: false, usage: undefined });
    accumulator.push({
      metadata: { usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 }, metrics: { latencyMs: 5 } },
    });
    const summary = accumulator.summary();
    expect(summary.usage).toEqual(usage(9, 4));
    expect(summary.outputText()).toBe('Hellolookup{"q":1}');
  });

  it('takes wire payloads with their :event-type', () => {
    const accumulator = bedrockWireFormat.createStreamAccumulator('chat');
    expect(accumulator.pushRaw('{"contentBlockIndex":0,"delta":{"text":"Hi"}}', 'contentBlockDelta')).toBe('content');
    expect(accumulator.pushRaw('{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}', 'metadata')).toBe(
      'other',
    );
    expect(accumulator.summary().usage).toEqual(usage(3, 1));
    expect(accumulator.summary().finished).toBe(false);
  });

  it('fails on an exception event', () => {
    const accumulator = bedrockWireFormat.createStreamAccumulator('chat');
    expect(accumulator.push({ message: 'boom' }, 'modelStreamErrorException')).toBe('error');
    expect(accumulator.summary()).toMatchObject({ failed: true, finished: false });
  });

  it('counts a Converse prompt: system, messages, tool results and specs', () => {
    const text = bedrockWireFormat.requestText('chat', {
      modelId: 'm',
      system: [{ text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: 'Hi' }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: 'ok' }, { json: { a: 1 } }] } }] },
      ],
      toolConfig: { tools: [{ toolSpec: { name: 'lookup' } }] },
    });
    expect(text).toBe('Be brief.\nHi\nok\n{"a":1}\n[{"toolSpec":{"name":"lookup"}}]');
  });
});

describe('InvokeModel on Bedrock', () => {
  const claude = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';

  it('knows Anthropic models by id, profile or ARN', () => {
    expect(isBedrockAnthropicModel(claude)).toBe(true);
    expect(isBedrockAnthropicModel('anthropic.claude-3-haiku-20240307-v1:0')).toBe(true);
    expect(isBedrockAnthropicModel('arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-x')).toBe(true);
    expect(isBedrockAnthropicModel('meta.llama3-1-8b-instruct-v1:0')).toBe(false);
  });

  it('reads an Anthropic body, pricing the request model rather than the response model', () => {
    const body = {
      model: 'claude-3-5-haiku-20241022',
      usage: { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 5 },
    };
    expect(bedrockInvokeResponse(claude, body)).toEqual({ usage: usage(15, 2, 5), responseModel: undefined });
    expect(bedrockInvokeResponse('meta.llama3-1-8b-instruct-v1:0', body)).toEqual({
      usage: undefined,
      responseModel: undefined,
    });
  });

  it("follows an Anthropic stream's chunks, ending at message_stop", () => {
    const accumulator = new BedrockInvokeStreamAccumulator(claude);
    const kinds = [
      {
        type: 'message_start',
        message: { model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 10, output_tokens: 1 } },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
      { type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 10, outputTokenCount: 2 } },
    ].map((chunk) => accumulator.push(chunk));
    expect(kinds).toEqual(['other', 'content', 'other', 'other']);
    expect(accumulator.summary()).toMatchObject({
      usage: usage(10, 2),
      finished: true,
      failed: false,
      responseModel: undefined,
    });
  });

  it("takes another model's usage from the invocation metrics", () => {
    const accumulator = new BedrockInvokeStreamAccumulator('meta.llama3-1-8b-instruct-v1:0');
    expect(accumulator.push({ generation: 'Hi', stop_reason: null })).toBe('content');
    expect(accumulator.summary()).toMatchObject({ usage: undefined, finished: false });
    accumulator.push({
      generation: '',
      stop_reason: 'stop',
      'amazon-bedrock-invocationMetrics': { inputTokenCount: 7, outputTokenCount: 1 },
    });
    expect(accumulator.summary()).toMatchObject({ usage: usage(7, 1), finished: true });
    expect(accumulator.summary().outputText()).toBe('Hi');
  });
});
