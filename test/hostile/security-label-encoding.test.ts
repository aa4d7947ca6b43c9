import { expect, test } from 'vitest';
import { useHarness } from '../proxy/proxy-harness.js';
import { findSamples } from '../support/prometheus-text.js';
import { rawRequest } from '../support/raw-request.js';

// Header bytes reach Node as Latin-1 strings (one character per byte): a label value sent as UTF-8 must be read
// as UTF-8, or `équipe` becomes `Ã©quipe` in every series. Bytes that are not UTF-8 are read as Latin-1, which
// is what fetch() and most HTTP clients send for characters up to U+00FF.

const h = useHarness({ labelHeaders: ['team'] });

async function teamsOf(model: string): Promise<string[]> {
  const text = await (await fetch(`${h.proxy.url}/metrics`)).text();
  return findSamples(text, 'llm_requests_total', { model }).map((sample) => sample.labels.team ?? '');
}

async function callWithTeamBytes(model: string, team: Buffer): Promise<void> {
  const head = Buffer.concat([
    Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n'),
    Buffer.from('x-llmeter-label-team: '),
    team,
  ]);
  const reply = await rawRequest(
    h.proxy.url,
    head,
    JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  );
  expect(reply.status).toBe(200);
}

test.each([
  ['UTF-8 bytes', 'utf8-accents', Buffer.from('équipe', 'utf8'), 'équipe'],
  ['UTF-8, four-byte characters', 'utf8-emoji', Buffer.from('🚀 growth', 'utf8'), '🚀 growth'],
  ['UTF-8, CJK', 'utf8-cjk', Buffer.from('検索チーム', 'utf8'), '検索チーム'],
  ['Latin-1 bytes (not UTF-8)', 'latin1', Buffer.from('équipe', 'latin1'), 'équipe'],
  ['ASCII', 'ascii', Buffer.from('search'), 'search'],
])('a label value sent as %s arrives intact', async (_how, model, bytes, team) => {
  await callWithTeamBytes(model, bytes);
  expect(await teamsOf(model)).toEqual([team]);
});

test('the header is still forwarded to nobody, and other headers keep their bytes', async () => {
  h.simulator.reset();
  const head = Buffer.concat([
    Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n'),
    Buffer.from('x-llmeter-label-team: équipe\r\nx-custom: ', 'utf8'),
    Buffer.from('café', 'utf8'),
  ]);
  await rawRequest(h.proxy.url, head, JSON.stringify({ model: 'bytes', messages: [{ role: 'user', content: 'Hi' }] }));
  const headers = h.simulator.requests[0]?.headers ?? {};
  expect(headers['x-llmeter-label-team']).toBeUndefined();
  // Forwarded byte for byte: Node shows the UTF-8 bytes of `café` as Latin-1 characters.
  expect(Buffer.from(String(headers['x-custom']), 'latin1').toString('utf8')).toBe('café');
});
