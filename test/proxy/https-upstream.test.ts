import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listeningUrl, type ProxyProcess, startProxyProcess } from '../scale/proxy-process.js';
import { sampleSum } from '../support/prometheus-text.js';

// Model APIs are HTTPS: `llmeter proxy` in front of a real TLS upstream (node:https, a certificate made for this
// run with Debian's openssl, trusted through NODE_EXTRA_CA_CERTS as a user would trust a private CA), through
// the real OpenAI client. The upstream records what a provider's front door sees: the server name (SNI), the
// path, and the usage option the proxy adds to a stream.

const usage = { prompt_tokens: 21, completion_tokens: 3, total_tokens: 24 };
const reply = JSON.stringify({
  id: 'chatcmpl-tls',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
  usage,
});
const chunk = (body: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-tls', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-2024-08-06', ...body })}\n\n`;

interface Seen {
  servername: string | false | null;
  path: string;
  body: Record<string, unknown>;
}

let directory: string;
let upstream: Server;
const seen: Seen[] = [];
let trusting: ProxyProcess;
let untrusting: ProxyProcess;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'llmeter-tls-'));
  const [key, cert] = [join(directory, 'key.pem'), join(directory, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'],
      ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      ...['-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  upstream = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      seen.push({ servername: (req.socket as TLSSocket).servername, path: req.url ?? '', body });
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const extra = withUsage ? { usage: null } : {};
      res.write(
        chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], ...extra }),
      );
      res.write(chunk({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }], ...extra }));
      res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], ...extra }));
      if (withUsage) res.write(chunk({ choices: [], usage }));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const target = `openai=https://localhost:${(upstream.address() as AddressInfo).port}`;
  [trusting, untrusting] = await Promise.all([
    startProxyProcess(['--port', '0', '--upstream', target], 1, { NODE_EXTRA_CA_CERTS: cert }),
    startProxyProcess(['--port', '0', '--upstream', target]),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([trusting?.stop(), untrusting?.stop()]);
  upstream?.closeAllConnections();
  upstream?.close();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

async function metrics(proxy: ProxyProcess): Promise<string> {
  return (await fetch(`${listeningUrl(proxy)}/metrics`)).text();
}

const chat = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };

describe('an HTTPS upstream', () => {
  test('a call and a stream go through TLS with the upstream named in SNI, and are counted exactly', async () => {
    const client = new OpenAI({ apiKey: 'sk-tls-test', baseURL: `${listeningUrl(trusting)}/v1`, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(completion.choices[0]?.message.content).toBe('Hi there');
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks = [];
    for await (const part of stream) chunks.push(part);
    expect(chunks.map((part) => part.choices[0]?.delta.content ?? '').join('')).toBe('Hi');
    // The client did not ask for usage: the proxy did, and hid the usage chunk and members from it.
    expect(chunks.every((part) => part.choices.length === 1 && !('usage' in part))).toBe(true);

    expect(seen.map(({ servername, path }) => ({ servername, path }))).toEqual([
      { servername: 'localhost', path: '/v1/chat/completions' },
      { servername: 'localhost', path: '/v1/chat/completions' },
    ]);
    expect(seen[1]?.body.stream_options).toEqual({ include_usage: true });

    const text = await metrics(trusting);
    expect(sampleSum(text, 'llm_requests_total', { ...chat, status: 'ok' })).toBe(2);
    expect(sampleSum(text, 'llm_tokens_total', { ...chat, type: 'input' })).toBe(42);
    expect(sampleSum(text, 'llm_tokens_total', { ...chat, type: 'output' })).toBe(6);
    expect(sampleSum(text, 'llm_usage_estimated_total', chat)).toBe(0);
  });

  test('an upstream whose certificate is not trusted gets nothing: the client gets a 502, the call counts failed', async () => {
    const before = seen.length;
    const response = await fetch(`${listeningUrl(untrusting)}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-tls-test' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('x-llmeter-error')).toBe('upstream_unreachable');
    await response.text();
    expect(seen.length).toBe(before);
    const text = await metrics(untrusting);
    expect(sampleSum(text, 'llm_requests_total', chat)).toBe(1);
    expect(sampleSum(text, 'llm_requests_total', { ...chat, status: 'error' })).toBe(1);
    expect(sampleSum(text, 'llm_request_failures_total', { ...chat, error_type: 'network' })).toBe(1);
    expect(sampleSum(text, 'llm_proxy_upstream_connection_errors_total', { provider: 'openai' })).toBe(1);
  });
});
