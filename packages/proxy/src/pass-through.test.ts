import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMeter, type Meter } from '@llmeter/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './config.js';
import { PassThrough } from './pass-through.js';
import { Router } from './routing.js';

// A bug in llmeter's own handling of a request (here: the recorder throwing when a call starts) must answer the
// client with a 500 and leave the proxy up, never surface as an uncaught exception or an unhandled rejection.
describe('PassThrough, when llmeter itself fails on a request', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('answers 500 proxy_error for buffered and streamed bodies, and nothing is left unhandled', async () => {
    const meter = createMeter({ registry: new Registry() });
    const broken = Object.create(meter) as Meter;
    broken.start = () => {
      throw new Error('recorder bug');
    };
    const passThrough = new PassThrough({
      router: new Router([{ name: 'openai', url: new URL('http://127.0.0.1:9') }]),
      meter: broken,
      streamUsage: 'inject',
      limits: DEFAULT_LIMITS,
      upstreamTimeoutMs: 1000,
      labelHeaders: [],
      logger: pino({ level: 'silent' }),
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    server = createServer((req, res) => passThrough.handle(req, res));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const json = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
      });
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
