import { request } from 'node:http';
import OpenAI from 'openai';
import { beforeEach, describe, expect, test } from 'vitest';
import { captureLog } from '../support/captured-log.js';
import { findSamples } from '../support/prometheus-text.js';
import { settled, useHarness } from './proxy-harness.js';
import { postRaw } from './raw-http.js';

const messages = [{ role: 'user' as const, content: 'Hi' }];
const log = captureLog('debug');
const { logger, lines: logLines } = log;

const h = useHarness({
  logger,
  labelHeaders: ['team', 'feature'],
  limits: { requestBodyBytes: 2048, labelValues: 2 },
  metricsToken: 's3cret-metrics-token',
});
beforeEach(() => h.simulator.reset());

/** `/metrics` with the token. */
async function metrics(): Promise<string> {
  const response = await fetch(`${h.proxy.url}/metrics`, { headers: { authorization: 'Bearer s3cret-metrics-token' } });
  expect(response.status).toBe(200);
  return response.text();
}

/** A raw HTTP/1.1 request, for targets and headers fetch() would normalize away. */
function rawRequest(
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(h.proxy.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('labels from x-llmeter-label-* headers', () => {
  test('allowed ones become labels, every one of them is stripped before forwarding', async () => {
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: `${h.proxy.url}/v1`,
      maxRetries: 0,
      defaultHeaders: {
        'x-llmeter-label-team': 'search',
        'X-LLMeter-Label-Feature': 'autocomplete',
        'x-llmeter-label-user': 'bob',
      },
    });
    await client.chat.completions.create({ model: 'gpt-4o', messages });
    const received = h.simulator.requests[0]?.headers ?? {};
    expect(Object.keys(received).filter((name) => name.startsWith('x-llmeter'))).toEqual([]);
    await settled(h);
    const samples = findSamples(await metrics(), 'llm_requests_total', { model: 'gpt-4o', team: 'search' });
    expect(samples).toHaveLength(1);
    expect(samples[0]?.labels).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      operation: 'chat',
      team: 'search',
      feature: 'autocomplete',
      status: 'ok',
    });
  });

  test('label values are capped by the cardinality guard', async () => {
    for (const team of ['a', 'b', 'c', 'd']) {
      await postRaw(
        `${h.proxy.url}/v1/chat/completions`,
        { model: 'capped', messages },
        { 'x-llmeter-label-team': team },
      );
    }
    const teams = findSamples(await metrics(), 'llm_requests_total', { model: 'capped' }).map((s) => s.labels.team);
    // `search` from the test before and `a` took the two places; the rest are `other`.
    expect(teams.sort()).toEqual(['a', 'other']);
  });
});

describe('only configured upstreams can be reached', () => {
  test('the Host header does not choose the upstream, and the upstream gets its own Host', async () => {
    const response = await rawRequest(
      '/v1/chat/completions',
      { host: 'evil.example', 'content-type': 'application/json' },
      JSON.stringify({ model: 'gpt-4o', messages }),
    );
    expect(response.status).toBe(200);
    expect(h.simulator.requests[0]?.headers.host).toBe(new URL(h.simulator.url).host);
  });

  test('an absolute-form request target is refused', async () => {
    const response = await rawRequest(
      'http://evil.example/v1/chat/completions',
      { 'content-type': 'application/json' },
      '{}',
    );
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe('invalid_request_target');
    expect(h.simulator.requests).toHaveLength(0);
  });

  test.each(['/anthropic/../v1/chat/completions', '/openai/%2e%2e/x', '/v1/./chat/completions', '/a\\..\\b'])(
    'a dot-segment path (%s) is refused',
    async (path) => {
      const response = await rawRequest(path, { 'content-type': 'application/json' }, '{}');
      expect(response.status).toBe(400);
      expect(h.simulator.requests).toHaveLength(0);
    },
  );
});

describe('request body limit', () => {
  test('a body over the limit gets 413 with an error body the SDK reads, and is not forwarded', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.proxy.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('request_too_large');
    expect(h.simulator.requests).toHaveLength(0);
    // The connection stays usable.
    const ok = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(ok.choices).toHaveLength(1);
  });
});

describe('/metrics token', () => {
  test('without the token, or with a wrong one, /metrics is refused; /healthz stays open', async () => {
    expect((await fetch(`${h.proxy.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${h.proxy.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${h.proxy.url}/healthz`)).status).toBe(200);
    expect(await metrics()).toContain('llm_requests_total');
  });
});

describe('credentials', () => {
  test('are forwarded untouched and never logged, nor are query strings', async () => {
    const apiKey = 'sk-secret-do-not-log-123';
    const client = new OpenAI({
      apiKey,
      baseURL: `${h.proxy.url}/v1`,
      maxRetries: 0,
      defaultQuery: { key: 'qs-secret-456' },
    });
    await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(h.simulator.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
    await settled(h);
    const log = logLines.join('');
    expect(log).toContain('"msg":"llm call"');
    expect(log).not.toContain('secret');
    expect(await metrics()).not.toContain('secret');
  });
});
