import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, type Meter } from '@llmeter/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './config.js';
import { PassThrough } from './pass-through.js';
import { Router } from './routing.js';

/** A small chat completion request to the proxy at `base`. */
function postChat(base: string): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
  });
}

// A bug in llmeter's own handling of a request (here: the key id reader throwing) must answer the client with a
// 500 and leave the proxy up, never surface as an uncaught exception or an unhandled rejection.
describe('PassThrough, when llmeter itself fails on a request', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('answers 500 proxy_error for buffered and streamed bodies, and nothing is left unhandled', async () => {
    const passThrough = new PassThrough({
      router: new Router([{ name: 'openai', url: new URL('http://127.0.0.1:9') }]),
      meter: createMeter({ registry: new Registry() }),
      streamUsage: 'inject',
      limits: DEFAULT_LIMITS,
      upstreamTimeoutMs: 1000,
      labelHeaders: [],
      logger: pino({ level: 'silent' }),
      keyId: () => {
        throw new Error('key id bug');
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    server = createServer((req, res) => passThrough.handle(req, res));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const json = await postChat(url);
      expect(json.status).toBe(500);
      expect(json.headers.get('x-llmeter-error')).toBe('proxy_error');
      await json.text();
      const bodiless = await fetch(`${url}/v1/models`);
      expect(bodiless.status).toBe(500);
      await bodiless.text();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(passThrough.openRequests).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
      passThrough.destroy();
    }
  });
});

// The recorder failing is a measurement failure: the call itself goes through, as it would without llmeter.
describe('PassThrough, when the recorder cannot start a call', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('forwards the call unmeasured and reports the failure once', async () => {
    const reply = '{"id":"chatcmpl-1","object":"chat.completion","usage":{"prompt_tokens":3,"completion_tokens":2}}';
    let upstreamCalls = 0;
    const upstream = await listen((req, res) => {
      upstreamCalls++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(reply));
    });
    const meter = createMeter({ registry: new Registry() });
    const broken = Object.create(meter) as Meter;
    broken.start = () => {
      throw new Error('recorder bug');
    };
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    const passThrough = new PassThrough({
      router: new Router([{ name: 'openai', url: new URL(upstream) }]),
      meter: broken,
      streamUsage: 'inject',
      limits: DEFAULT_LIMITS,
      upstreamTimeoutMs: 1000,
      labelHeaders: [],
      logger,
    });
    const proxy = await listen((req, res) => passThrough.handle(req, res));
    try {
      const response = await postChat(proxy);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(reply);
      await passThrough.idle();
      expect(upstreamCalls).toBe(1);
      expect(warnings).toEqual(['a measurement failed and was skipped']);
      expect(passThrough.openRequests).toBe(0);
      expect(await meter.registry.getSingleMetricAsString('llm_requests_total')).not.toContain('gpt-4o');
    } finally {
      passThrough.destroy();
    }
  });
});
