import { afterEach, describe, expect, test } from 'vitest';
import { useHarness } from '../proxy/proxy-harness.js';
import { captureLog } from '../support/captured-log.js';
import { rawRequest } from '../support/raw-request.js';

// A client controls the model (request body), the path and the label values (headers), and the upstream the
// response's model: none of them may make a log line as large as itself.

const log = captureLog('info');
const h = useHarness({ logger: log.logger, labelHeaders: ['team'] });
afterEach(() => log.clear());

/** The call's log line, once the proxy wrote it. */
const callLine = () => log.waitFor('llm call');

const cut = (text: string): string => `${text.slice(0, 256)}…[+${text.length - 256} chars]`;

describe('every logged value is bounded', () => {
  test('a 5 MB model (echoed by the upstream), an 8 KB path and an 8 KB label make a line under 2 KB', async () => {
    const model = 'm'.repeat(5_000_000);
    const path = `/v1/chat/completions/${'p'.repeat(8000)}`;
    const team = 't'.repeat(8000);
    await rawRequest(
      h.proxy.url,
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-llmeter-label-team: ${team}`,
      JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    const { text, fields } = await callLine();
    expect(text.length).toBeLessThan(2048);
    expect(fields.model).toBe(cut(model));
    expect(fields.path).toBe(cut(path));
    expect(fields.labels).toEqual({ team: cut(team) });
  });

  test('the upstream names a 1 MB model in its reply', async () => {
    const responseModel = 'r'.repeat(1_000_000);
    h.simulator.enqueue({ responseModel });
    await rawRequest(
      h.proxy.url,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    const { text, fields } = await callLine();
    expect(text.length).toBeLessThan(1024);
    expect(fields.model).toBe('gpt-4o');
    expect(fields.response_model).toBe(cut(responseModel));
  });

  test('a cut never splits a character made of two UTF-16 units', async () => {
    const model = `${'a'.repeat(255)}${'😀'.repeat(10)}`;
    await rawRequest(
      h.proxy.url,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json',
      Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] })),
    );
    const { fields } = await callLine();
    expect(fields.model).toBe(`${'a'.repeat(255)}…[+${model.length - 255} chars]`);
  });

  test('short values are logged whole', async () => {
    await rawRequest(
      h.proxy.url,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-llmeter-label-team: search',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    const { fields } = await callLine();
    expect(fields).toMatchObject({ model: 'gpt-4o', path: '/v1/chat/completions', labels: { team: 'search' } });
  });
});
