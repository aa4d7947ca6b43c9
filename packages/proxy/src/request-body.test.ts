import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bodyIsBuffered, isJsonMediaType, readRequestBodyThen } from './request-body.js';

describe('isJsonMediaType', () => {
  test.each([
    ['application/json', true],
    ['Application/JSON', true],
    ['APPLICATION/JSON; charset=utf-8', true],
    ['application/json;charset=UTF-8', true],
    [' application/vnd.api+json ', true],
    ['text/plain; note="json"', false],
    ['multipart/form-data; boundary=json', false],
    ['audio/mpeg', false],
  ])('%s → %s', (type, json) => {
    expect(isJsonMediaType(type)).toBe(json);
  });
});

// Real requests through a real server, so the headers are exactly what Node hands the proxy.
describe('bodyIsBuffered', () => {
  const seen: boolean[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(bodyIsBuffered(req));
    req.resume();
    req.on('end', () => res.end());
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (headers: Record<string, string>, body: string) =>
    new Promise<boolean>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(seen.at(-1) as boolean));
      });
      req.on('error', reject);
      req.end(body);
    });

  test.each([
    ['application/json', true],
    ['Application/JSON', true],
    ['Application/JSON; charset=utf-8', true],
    ['audio/wav', false],
  ])('%s with a body', async (type, buffered) => {
    expect(await send({ 'content-type': type }, '{"model":"m"}')).toBe(buffered);
  });

  test('no body, or no content type', async () => {
    expect(await send({ 'content-type': 'Application/JSON' }, '')).toBe(false);
    expect(await send({}, '{"model":"m"}')).toBe(true);
  });
});

// The proxy's own path reads bodies through callbacks: each read ends in exactly one of them.
describe('readRequestBodyThen', () => {
  const outcomes: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    readRequestBodyThen(
      req,
      16,
      (body) => {
        outcomes.push(`body ${body.toString()}`);
        res.end();
      },
      (error) => {
        outcomes.push(`${error.name}`);
        req.resume();
        res.end();
      },
    );
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (chunks: string[], headers: Record<string, string> = {}) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  test('a body in pieces comes whole; one over the limit (declared or sent) is refused once', async () => {
    outcomes.length = 0;
    await post(['{"model":', '"m"}']);
    await post(['x'.repeat(20)], { 'content-length': '20' });
    await post(['x'.repeat(10), 'x'.repeat(10)]);
    expect(outcomes).toEqual(['body {"model":"m"}', 'BodyTooLargeError', 'BodyTooLargeError']);
  });
});
