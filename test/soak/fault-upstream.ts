import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the soak's client asks the upstream to do with a call (header `x-soak-fault`). */
export type Fault = 'none' | 'reset' | 'cut' | 'server_error' | 'slow';

/** The request header naming the call (its tally key), and the one naming its fault. */
export const SOAK_ID_HEADER = 'x-soak-id';
export const SOAK_FAULT_HEADER = 'x-soak-fault';

/** The tokens the upstream reports for call `id`: different for each call, known to the client. */
export function usageOf(id: number): { input: number; output: number } {
  return { input: 10 + (id % 97), output: 3 + (id % 41) };
}

/** A fake OpenAI/Anthropic upstream that injects the faults its callers ask for, and counts what it received. */
export interface FaultUpstream {
  readonly url: string;
  /** Requests received (read whole), by call id: a count above 1 is a request sent twice. */
  readonly received: ReadonlyMap<number, number>;
  /** Every request received, whatever its id. */
  readonly total: number;
  close(): Promise<void>;
}

const TEXT = ['Hello', ' from', ' the', ' soak', '.'];

/**
 * Starts the fault-injecting upstream on 127.0.0.1. `POST /v1/chat/completions` answers as OpenAI (a stream gets
 * its usage chunk when `stream_options.include_usage` asks for it), `POST /v1/messages` as Anthropic. Faults:
 * `reset` (the request is read whole, then the connection destroyed without a response), `cut` (a stream cut
 * after two content events), `server_error` (a 500 with the provider's error body), `slow` (the reply waits
 * 20-80 ms first).
 */
export async function startFaultUpstream(): Promise<FaultUpstream> {
  const received = new Map<number, number>();
  let total = 0;
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      total++;
      const id = Number(req.headers[SOAK_ID_HEADER]);
      received.set(id, (received.get(id) ?? 0) + 1);
      answer(req, res, id, Buffer.concat(chunks).toString());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get total() {
      return total;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(req: IncomingMessage, res: ServerResponse, id: number, text: string): void {
  const fault = (req.headers[SOAK_FAULT_HEADER] ?? 'none') as Fault;
  const anthropic = req.url === '/v1/messages';
  const body = JSON.parse(text) as { model: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
  if (fault === 'reset') {
    req.socket.destroy();
    return;
  }
  if (fault === 'server_error') {
    const error = anthropic
      ? { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }
      : { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } };
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(error));
    return;
  }
  const reply = (): void => {
    const usage = usageOf(id);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(anthropic ? anthropicMessage(body.model, usage) : openAiCompletion(body.model, usage)));
      return;
    }
    const events = anthropic
      ? anthropicEvents(body.model, usage)
      : openAiEvents(body.model, usage, body.stream_options?.include_usage === true);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (fault === 'cut') {
      // The opening event and two content events, then the connection drops.
      res.write(events.slice(0, anthropic ? 4 : 3).join(''));
      setImmediate(() => req.socket.destroy());
      return;
    }
    res.end(events.join(''));
  };
  if (fault === 'slow') setTimeout(reply, 20 + (id % 61));
  else reply();
}

function openAiCompletion(model: string, usage: { input: number; output: number }) {
  return {
    id: 'chatcmpl-soak',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT.join('') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

function openAiEvents(model: string, usage: { input: number; output: number }, includeUsage: boolean): string[] {
  const chunk = (delta: object, finishReason: string | null) => ({
    id: 'chatcmpl-soak',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events = [
    chunk({ role: 'assistant', content: '' }, null),
    ...TEXT.map((content) => chunk({ content }, null)),
    chunk({}, 'stop'),
  ].map((event) => `data: ${JSON.stringify(event)}\n\n`);
  if (includeUsage) {
    const tokens = {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    };
    events.push(`data: ${JSON.stringify({ ...chunk({}, null), choices: [], usage: tokens })}\n\n`);
  }
  events.push('data: [DONE]\n\n');
  return events;
}

function anthropicMessage(model: string, usage: { input: number; output: number }) {
  return {
    id: 'msg_soak',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: TEXT.join('') }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
}

function anthropicEvents(model: string, usage: { input: number; output: number }): string[] {
  const event = (type: string, fields: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  return [
    event('message_start', {
      message: {
        id: 'msg_soak',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: 1 },
      },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...TEXT.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output },
    }),
    event('message_stop', {}),
  ];
}
