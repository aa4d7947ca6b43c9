import { request } from 'node:http';

/** One call a test sends through a proxy: its path, JSON body and scripted simulator reply. */
export interface MixedCall {
  path: string;
  body: Record<string, unknown>;
  reply: Record<string, unknown>;
}

/** The shape of the `i`-th call of a mixed run: OpenAI and Anthropic, streamed and not, ok and failed, varied usage. */
export function mixedCall(i: number): MixedCall {
  const usage = { input: 100 + i, output: 20 + (i % 7), cachedInput: i % 3 === 0 ? 50 : 0 };
  switch (i % 5) {
    case 0:
      return { path: '/v1/chat/completions', body: chat('gpt-4o-mini', false), reply: { usage } };
    case 1:
      return { path: '/v1/chat/completions', body: chat('gpt-4o', true), reply: { usage } };
    case 2:
      return { path: '/anthropic/v1/messages', body: messages(false), reply: { usage } };
    case 3:
      return { path: '/v1/chat/completions', body: chat('gpt-4o-mini', false), reply: { status: 429 } };
    default:
      return { path: '/anthropic/v1/messages', body: messages(true), reply: { usage } };
  }
}

function chat(model: string, stream: boolean): Record<string, unknown> {
  return { model, stream, messages: [{ role: 'user', content: 'hi' }] };
}

function messages(stream: boolean): Record<string, unknown> {
  return { model: 'claude-3-5-haiku-20241022', stream, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
}

/**
 * Sends one call on a connection of its own (no keep-alive: so that a balancer or the kernel spreads calls over
 * processes) and reads the whole answer. Resolves with the status.
 */
export function sendCall(base: string, call: MixedCall, extraHeaders: Record<string, string> = {}): Promise<number> {
  const url = new URL(call.path, base);
  const body = JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: 'Bearer sk-test',
          'x-api-key': 'sk-ant-test',
          'anthropic-version': '2023-06-01',
          'x-simulator-reply': JSON.stringify(call.reply),
          connection: 'close',
          ...extraHeaders,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** GET `path` on a connection of its own; resolves with the status and body. */
export function getText(base: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
