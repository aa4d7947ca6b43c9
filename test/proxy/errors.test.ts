import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { UNREACHABLE_UPSTREAM_URL } from '../support/unreachable-upstream.js';
import { type ProxyHarness, settled, startHarness } from './proxy-harness.js';
import { postRaw } from './raw-http.js';

const messages = [{ role: 'user' as const, content: 'Hi' }];
const chat = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };

/** A hand-written upstream for what the simulator does not do on purpose: broken bodies, slow streams. */
async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
async function stop(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

let h: ProxyHarness;
let custom: Server;
let unreachableUrl: string;
/** `res.on('close')` of the custom upstream's slow stream: whether it was cut before its end. */
let slowStreamCut: Promise<boolean> | undefined;

beforeAll(async () => {
  custom = await startUpstream((req, res) => {
    if (req.url?.includes('broken-json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"x","usage":{"prompt_tokens":');
    } else if (req.url?.includes('broken-sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {not json\n\ndata: \u0000\u00ff\n\n: comment\nevent\n\ndata: [DONE]\n\n');
    } else {
      // A slow stream of 20 chunks, 100 ms apart.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      slowStreamCut = new Promise((resolve) => res.on('close', () => resolve(!res.writableEnded)));
      let sent = 0;
      const timer = setInterval(() => {
        if (sent === 20) {
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
          return;
        }
        sent++;
        const chunk = { id: 'c', model: 'gpt-4o', choices: [{ index: 0, delta: { content: `w${sent} ` } }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }, 100);
      res.on('close', () => clearInterval(timer));
    }
  });
  unreachableUrl = UNREACHABLE_UPSTREAM_URL;
  h = await startHarness({ timeouts: { upstreamMs: 400 } }, { custom: urlOf(custom), gone: unreachableUrl });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await stop(custom);
});
beforeEach(() => h.simulator.reset());

describe('upstream errors pass through and are counted by error_type', () => {
  test.each([
    [429, 'rate_limit'],
    [401, 'auth'],
    [500, 'server_error'],
    [503, 'overloaded'],
    [400, 'bad_request'],
  ])('OpenAI %i → %s', async (status, errorType) => {
    const before = await h.sum('llm_request_failures_total', { ...chat, error_type: errorType });
    h.simulator.enqueue({ status });
    const error = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: errorType })).toBe(before + 1);
  });

  test('Anthropic 529 → overloaded, the error body intact', async () => {
    h.simulator.enqueue({ status: 529 });
    const error = await h
      .anthropic()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(529);
    expect(JSON.stringify(apiError.error)).toContain('overloaded_error');
    await settled(h);
    const labels = { provider: 'anthropic', model: 'claude-sonnet-4-6', operation: 'chat', error_type: 'overloaded' };
    expect(await h.sum('llm_request_failures_total', labels)).toBe(1);
  });
});

describe('failures of the upstream itself', () => {
  test('unreachable: 502 with an OpenAI error body the SDK reads, counted as network', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.proxy.url}/gone/v1`, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.message).toContain('llmeter proxy: upstream "gone" is unreachable');
    expect(apiError.code).toBe('upstream_unreachable');
    await settled(h);
    const labels = { provider: 'gone', model: 'gpt-4o', operation: 'chat' };
    expect(await h.sum('llm_request_failures_total', { ...labels, error_type: 'network' })).toBe(1);
    expect(await h.sum('llm_requests_total', { ...labels, status: 'error' })).toBe(1);
  });

  test('unreachable, Anthropic path: an Anthropic error body', async () => {
    const client = new Anthropic({ apiKey: 'sk-ant', baseURL: `${h.proxy.url}/gone`, maxRetries: 0 });
    const error = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  test('an upstream slower than the timeout: 504, counted as timeout', async () => {
    h.simulator.enqueue({ headersDelayMs: 3000 });
    const error = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o', messages })
      .catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: 'timeout' })).toBe(1);
  });

  test('a stream cut short by the upstream is cut for the client too, counted as stream_error', async () => {
    h.simulator.enqueue({ chunks: ['a', 'b', 'c', 'd'], cutAfterChunks: 2 });
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const received: string[] = [];
    const read = async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    };
    await expect(read()).rejects.toThrow();
    expect(received.join('')).toBe('ab');
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: 'stream_error' })).toBe(1);
  });

  test('an error event in an OpenAI stream is a stream_error', async () => {
    const before = await h.sum('llm_request_failures_total', { ...chat, error_type: 'stream_error' });
    h.simulator.enqueue({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 1 });
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const read = async () => {
      for await (const _chunk of stream) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow();
    await settled(h);
    expect(await h.sum('llm_request_failures_total', { ...chat, error_type: 'stream_error' })).toBe(before + 1);
  });
});

describe('the client going away', () => {
  test('mid-stream: the upstream request is cancelled and the call recorded as aborted', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.proxy.url}/custom/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let chunks = 0;
    // Leaving the loop early makes the SDK abort its request: the connection to the proxy closes.
    for await (const _chunk of stream) {
      chunks++;
      if (chunks === 2) break;
    }
    expect(chunks).toBe(2);
    // The upstream saw its response closed long before its 20th chunk.
    expect(await slowStreamCut).toBe(true);
    await settled(h);
    const labels = { provider: 'custom', model: 'gpt-4o', operation: 'chat' };
    expect(await h.sum('llm_request_failures_total', { ...labels, error_type: 'aborted' })).toBe(1);
    // Tokens seen before the abort are still counted (locally).
    expect(await h.sum('llm_usage_estimated_total', labels)).toBe(1);
    expect(await h.sum('llm_tokens_total', { ...labels, type: 'output' })).toBeGreaterThan(0);
  });
});

describe('malformed traffic never breaks the proxy', () => {
  test('a request body that is not JSON is forwarded and counted with model "unknown"', async () => {
    const response = await postRaw(`${h.proxy.url}/v1/chat/completions`, '{"model": "gpt-4o", oops');
    expect(response.status).toBe(400);
    expect(h.simulator.requests[0]?.rawBody.toString()).toBe('{"model": "gpt-4o", oops');
    await settled(h);
    const labels = { provider: 'openai', model: 'unknown', operation: 'chat', error_type: 'bad_request' };
    expect(await h.sum('llm_request_failures_total', labels)).toBe(1);
  });

  test('a JSON response that is not JSON passes through as it is, counted without usage', async () => {
    const response = await postRaw(`${h.proxy.url}/custom/v1/chat/completions?broken-json`, {
      model: 'broken',
      messages,
    });
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"id":"x","usage":{"prompt_tokens":');
    await settled(h);
    const labels = { provider: 'custom', model: 'broken', operation: 'chat' };
    expect(await h.sum('llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(await h.sum('llm_tokens_total', labels)).toBe(0);
  });

  test('an SSE response with garbage events passes through as it is', async () => {
    const body = { model: 'garbage', messages, stream: true, stream_options: { include_usage: true } };
    const response = await postRaw(`${h.proxy.url}/custom/v1/chat/completions?broken-sse`, body);
    expect(response.text).toBe('data: {not json\n\ndata: \u0000\u00ff\n\n: comment\nevent\n\ndata: [DONE]\n\n');
    await settled(h);
    const labels = { provider: 'custom', model: 'garbage', operation: 'chat' };
    expect(await h.sum('llm_requests_total', labels)).toBe(1);
    expect((await fetch(`${h.proxy.url}/healthz`)).status).toBe(200);
  });

  test('nothing is left in flight', async () => {
    await settled(h);
    expect(await h.sum('llm_requests_in_flight')).toBe(0);
  });
});
