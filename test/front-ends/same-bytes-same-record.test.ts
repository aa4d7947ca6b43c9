import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from '@llmeter/core';
import { type RunningProxy, startProxy } from '@llmeter/proxy';
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { findSamples, nonZeroByLabel, sampleSum } from '../support/prometheus-text.js';
import { type ReplayEnding, type ReplayUpstream, useReplayUpstream } from '../support/replay-upstream.js';

// The same recorded stream bytes, served by a real local upstream, go through both front ends: the proxy (with a
// plain `fetch` client) and the real `openai` / `@anthropic-ai/sdk` clients instrumented and pointed straight at
// the upstream. Each front end records on its own registry; the two records must be identical, and right.

const FIXTURES = resolve(import.meta.dirname, '../../packages/core/src/wire/fixtures');

/** The events of a recorded SSE fixture, each with its closing blank line. */
function fixtureEvents(path: string): string[] {
  const text = readFileSync(resolve(FIXTURES, path), 'utf8');
  return text
    .split('\n\n')
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}

/** How the caller reads the stream: to its end, or until it stops at an event (then it goes away). */
type CallerStop = 'never' | 'first_content' | 'provider_end';

/** One variant of a recorded stream: which events are sent, how the response ends, what the caller does. */
interface Variant {
  name: string;
  events: string[];
  /** Only the first part of the event at this index is sent before the cut (a cut in the middle of an event). */
  halfEventAt?: number;
  ending: ReplayEnding;
  stop: CallerStop;
  expected: Expected;
}

/** What both records must say. */
interface Expected {
  errorType: string | undefined;
  /** Tokens as the provider reported them, or `estimated` from the output text the caller saw. */
  usage: { reported: Record<string, number> } | { estimated: string; model: string };
}

/** One API and its recorded streams. */
interface Api {
  name: string;
  /** The proxy path (the route picks the upstream). */
  path: string;
  body: Record<string, unknown>;
  /** Whether an event text (proxy side) or event object (SDK side) is the first content, or the provider's end. */
  isFirstContent(event: string): boolean;
  isProviderEnd(event: string): boolean;
  sdkIsFirstContent(event: unknown): boolean;
  sdkIsProviderEnd(event: unknown): boolean;
  /** The instrumented SDK call, returning the stream the caller reads. */
  sdkStream(upstream: string, registry: Registry): Promise<AsyncIterable<unknown>>;
  variants: Variant[];
}

function bytesOf(variant: Variant): Buffer {
  const events = variant.events.map((event, index) =>
    index === variant.halfEventAt ? event.slice(0, Math.floor(event.length / 2)) : event,
  );
  return Buffer.from(events.join(''));
}

const field = (event: unknown, name: string): unknown =>
  typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[name] : undefined;

// ── OpenAI Chat Completions ────────────────────────────────────────────────────────────────────────────────

const chat = fixtureEvents('openai/chat-stream-include-usage.sse');
// role chunk, "Héllo", " wörld 👋", "!", finish_reason chunk, usage chunk, [DONE]
const chatNoUsage = fixtureEvents('openai/chat-stream-no-usage.sse');
// role chunk, "Two", " plus two is four.", finish_reason chunk, [DONE]
const chatError = fixtureEvents('openai/chat-stream-error.sse');
// role chunk, "The answer", {"error":…}
const chatReported = { input: 2006, output: 4, cached_input: 1920 };
const GPT_4O = 'gpt-4o-2024-08-06';

const openAiChat: Api = {
  name: 'OpenAI chat',
  path: '/v1/chat/completions',
  body: {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
    stream_options: { include_usage: true },
  },
  isFirstContent: (event) => /"delta":\{"content":"[^"]/.test(event),
  isProviderEnd: (event) => event.includes('[DONE]'),
  sdkIsFirstContent: (chunk) => {
    const choice = (field(chunk, 'choices') as unknown[] | undefined)?.[0];
    return (
      typeof field(field(choice, 'delta'), 'content') === 'string' && field(field(choice, 'delta'), 'content') !== ''
    );
  },
  // The SDK never shows `[DONE]`: the last event its caller sees is the usage chunk.
  sdkIsProviderEnd: (chunk) => field(chunk, 'usage') != null,
  async sdkStream(upstream, registry) {
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
    });
    return openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
  },
  variants: [
    {
      name: 'complete',
      events: chat,
      ending: 'end',
      stop: 'never',
      expected: { errorType: undefined, usage: { reported: chatReported } },
    },
    {
      name: 'cut mid-stream',
      events: chat.slice(0, 4),
      halfEventAt: 3,
      ending: 'cut',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { estimated: 'Héllo wörld 👋', model: GPT_4O } },
    },
    {
      name: 'an error event',
      events: chatError,
      ending: 'end',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { estimated: 'The answer', model: GPT_4O } },
    },
    {
      name: 'aborted by the caller after the first content',
      events: chat.slice(0, 2),
      ending: 'hold',
      stop: 'first_content',
      expected: { errorType: 'aborted', usage: { estimated: 'Héllo', model: GPT_4O } },
    },
    {
      // Through the SDK this was `ok` before: it took a clean end for the `[DONE]` it cannot see.
      name: 'no finish marker (no finish_reason, no [DONE]), ended cleanly',
      events: chatNoUsage.slice(0, 3),
      ending: 'end',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { estimated: 'Two plus two is four.', model: 'gpt-4o-mini' } },
    },
    {
      name: 'stopped by the caller after the provider’s end',
      events: chat,
      ending: 'hold',
      stop: 'provider_end',
      expected: { errorType: undefined, usage: { reported: chatReported } },
    },
  ],
};

// ── OpenAI Responses ───────────────────────────────────────────────────────────────────────────────────────

const responses = fixtureEvents('openai/responses-stream-completed.sse');
const responsesFailed = fixtureEvents('openai/responses-stream-failed.sse');
const firstResponsesContent = responses.findIndex((event) => event.includes('.delta\n'));
const O4_MINI = 'o4-mini-2025-04-16';

const openAiResponses: Api = {
  name: 'OpenAI responses',
  path: '/v1/responses',
  body: { model: 'o4-mini', input: 'What is the capital of France?', stream: true },
  isFirstContent: (event) => event.startsWith('event: response.') && event.includes('.delta\n'),
  isProviderEnd: (event) => event.startsWith('event: response.completed'),
  sdkIsFirstContent: (event) => String(field(event, 'type')).endsWith('_text.delta'),
  sdkIsProviderEnd: (event) => field(event, 'type') === 'response.completed',
  async sdkStream(upstream, registry) {
    const openai = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream}/v1`, maxRetries: 0 }), {
      registry,
      provider: 'openai',
    });
    return openai.responses.create({ model: 'o4-mini', input: 'What is the capital of France?', stream: true });
  },
  variants: [
    {
      name: 'complete',
      events: responses,
      ending: 'end',
      stop: 'never',
      expected: {
        errorType: undefined,
        usage: { reported: { input: 1536, output: 212, cached_input: 1280, reasoning: 192 } },
      },
    },
    {
      name: 'cut mid-stream',
      events: responses.slice(0, firstResponsesContent + 2),
      halfEventAt: firstResponsesContent + 1,
      ending: 'cut',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { estimated: 'Recalling the capital.', model: O4_MINI } },
    },
    {
      name: 'an error event (response.failed)',
      events: responsesFailed,
      ending: 'end',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { estimated: 'Paris', model: 'gpt-4.1-2025-04-14' } },
    },
    {
      name: 'aborted by the caller after the first content',
      events: responses.slice(0, firstResponsesContent + 1),
      ending: 'hold',
      stop: 'first_content',
      expected: { errorType: 'aborted', usage: { estimated: 'Recalling the capital.', model: O4_MINI } },
    },
    {
      name: 'no finish marker (no response.completed), ended cleanly',
      events: responses.slice(0, -1),
      ending: 'end',
      stop: 'never',
      expected: {
        errorType: 'stream_error',
        usage: { estimated: 'Recalling the capital.Paris is the capital of France.', model: O4_MINI },
      },
    },
    {
      name: 'stopped by the caller after the provider’s end',
      events: responses,
      ending: 'hold',
      stop: 'provider_end',
      expected: {
        errorType: undefined,
        usage: { reported: { input: 1536, output: 212, cached_input: 1280, reasoning: 192 } },
      },
    },
  ],
};

// ── Anthropic Messages ─────────────────────────────────────────────────────────────────────────────────────

const messages = fixtureEvents('anthropic/messages-stream-cache.sse');
// message_start (25 input + 2048 cache read, output 1), content_block_start, ping, "Hello", "! How can I help?",
// content_block_stop, message_delta (output 15), message_stop
const messagesError = fixtureEvents('anthropic/messages-stream-error-event.sse');
const firstMessagesContent = messages.findIndex((event) => event.startsWith('event: content_block_delta'));
const messagesReported = { input: 2073, output: 15, cached_input: 2048 };

const anthropicMessages: Api = {
  name: 'Anthropic messages',
  path: '/anthropic/v1/messages',
  body: { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], stream: true },
  isFirstContent: (event) => event.startsWith('event: content_block_delta'),
  isProviderEnd: (event) => event.startsWith('event: message_stop'),
  sdkIsFirstContent: (event) => field(event, 'type') === 'content_block_delta',
  sdkIsProviderEnd: (event) => field(event, 'type') === 'message_stop',
  async sdkStream(upstream, registry) {
    const anthropic = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream, maxRetries: 0 }), {
      registry,
      provider: 'anthropic',
    });
    return anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
  },
  variants: [
    {
      name: 'complete',
      events: messages,
      ending: 'end',
      stop: 'never',
      expected: { errorType: undefined, usage: { reported: messagesReported } },
    },
    {
      // Anthropic reports input (and a first output count) in message_start, before any content.
      name: 'cut mid-stream',
      events: messages.slice(0, firstMessagesContent + 2),
      halfEventAt: firstMessagesContent + 1,
      ending: 'cut',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { reported: { input: 2073, output: 1, cached_input: 2048 } } },
    },
    {
      name: 'an error event',
      events: messagesError,
      ending: 'end',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { reported: { input: 410, output: 1 } } },
    },
    {
      name: 'aborted by the caller after the first content',
      events: messages.slice(0, firstMessagesContent + 1),
      ending: 'hold',
      stop: 'first_content',
      expected: { errorType: 'aborted', usage: { reported: { input: 2073, output: 1, cached_input: 2048 } } },
    },
    {
      name: 'no finish marker (no message_stop), ended cleanly',
      events: messages.slice(0, -1),
      ending: 'end',
      stop: 'never',
      expected: { errorType: 'stream_error', usage: { reported: messagesReported } },
    },
    {
      name: 'stopped by the caller after the provider’s end',
      events: messages,
      ending: 'hold',
      stop: 'provider_end',
      expected: { errorType: undefined, usage: { reported: messagesReported } },
    },
  ],
};

// ── The two front ends ─────────────────────────────────────────────────────────────────────────────────────

/** Reads the proxy's response with `fetch` as a plain client would: to its end, or until it stops. */
async function callThroughProxy(proxy: RunningProxy, api: Api, stop: CallerStop): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(`${proxy.url}${api.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-api-key': 'sk-ant-test' },
    body: JSON.stringify(api.body),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
      const events = text.split('\n\n').slice(0, -1);
      const stopAt = stop === 'first_content' ? api.isFirstContent : stop === 'provider_end' ? api.isProviderEnd : null;
      if (stopAt !== null && events.some(stopAt)) {
        controller.abort();
        return;
      }
    }
  } catch {
    // A cut stream fails the read: the caller sees the failure, the proxy records it.
  }
}

/** Reads the instrumented SDK's stream as a caller does: `for await`, `break` where it stops. */
async function callThroughSdk(upstream: ReplayUpstream, api: Api, stop: CallerStop, registry: Registry) {
  const stream = await api.sdkStream(upstream.url, registry);
  try {
    for await (const event of stream) {
      if (stop === 'first_content' && api.sdkIsFirstContent(event)) break;
      if (stop === 'provider_end' && api.sdkIsProviderEnd(event)) break;
    }
  } catch {
    // The SDKs throw on a cut stream and on an error event; the caller sees it, the wrapper records it.
  }
}

/** What a registry says about its one call, in the terms the metric contract defines. */
async function recordOf(registry: Registry) {
  const text = await registry.metrics();
  return {
    requests: findSamples(text, 'llm_requests_total')
      .filter((sample) => sample.value !== 0)
      .map(({ labels, value }): Record<string, string | number> => ({ ...labels, value })),
    errorTypes: nonZeroByLabel(text, 'llm_request_failures_total', 'error_type'),
    tokens: nonZeroByLabel(text, 'llm_tokens_total', 'type'),
    usageEstimated: sampleSum(text, 'llm_usage_estimated_total'),
    cost: sampleSum(text, 'llm_cost_usd_total'),
    timeToFirstTokenCount: sampleSum(text, 'llm_time_to_first_token_seconds_count'),
    inFlight: sampleSum(text, 'llm_requests_in_flight'),
  };
}

/** Waits until the proxy recorded its call: a client can see its response end a moment before. */
async function recorded(registry: Registry): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = await registry.metrics();
    if (sampleSum(text, 'llm_requests_total') === 1 && sampleSum(text, 'llm_requests_in_flight') === 0) return;
    if (Date.now() > deadline) throw new Error('the proxy did not record the call');
    await new Promise((done) => setTimeout(done, 5));
  }
}

function expectedTokens(expected: Expected): Record<string, number> {
  if ('reported' in expected.usage) return expected.usage.reported;
  // Counted locally: the output seen so far, and the prompt (which both front ends read from the same body).
  return { output: countTokens(expected.usage.estimated, expected.usage.model) };
}

describe.each([openAiChat, openAiResponses, anthropicMessages])('$name: the same bytes, the same record', (api) => {
  const upstream = useReplayUpstream();

  it.each(api.variants)('$name', async (variant) => {
    const replay = { body: bytesOf(variant), ending: variant.ending };
    upstream.enqueue(replay, replay);

    const proxyRegistry = new Registry();
    const proxy = await startProxy({
      port: 0,
      logLevel: 'silent',
      registry: proxyRegistry,
      dashboard: false,
      upstreams: { openai: upstream.url, anthropic: upstream.url },
    });
    try {
      await callThroughProxy(proxy, api, variant.stop);
      await recorded(proxyRegistry);
    } finally {
      await proxy.close();
    }
    const sdkRegistry = new Registry();
    await callThroughSdk(upstream, api, variant.stop, sdkRegistry);
    expect(upstream.pending).toBe(0);

    const viaProxy = await recordOf(proxyRegistry);
    const viaSdk = await recordOf(sdkRegistry);
    expect(viaSdk).toEqual(viaProxy);

    const { errorType } = variant.expected;
    expect(viaProxy.requests).toHaveLength(1);
    expect(viaProxy.requests[0]?.status).toBe(errorType === undefined ? 'ok' : 'error');
    expect(viaProxy.errorTypes).toEqual(errorType === undefined ? {} : { [errorType]: 1 });
    expect(viaProxy.tokens).toMatchObject(expectedTokens(variant.expected));
    if ('reported' in variant.expected.usage) expect(viaProxy.tokens).toEqual(variant.expected.usage.reported);
    expect(viaProxy.usageEstimated).toBe('estimated' in variant.expected.usage ? 1 : 0);
    expect(viaProxy.cost).toBeGreaterThan(0);
    expect(viaProxy.inFlight).toBe(0);
  });
});
