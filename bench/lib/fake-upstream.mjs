// A fake OpenAI upstream on 127.0.0.1 for the proxy benchmarks: a 454-byte JSON chat reply, or a stream of
// `chunks` SSE events (plus the usage event when the request asks for it, as OpenAI does).
//
// Two arrival patterns, chosen per request by the body's `user` field (which every proxy passes on):
// - "spaced" (the default): one event per write, one write per event-loop turn, as a model's tokens arrive;
// - "burst": every event written back to back in one turn, as a fast model or a buffering hop delivers them;
// - "paced": the first PACED_EVENTS events 1 ms apart, then the rest at once: a model's tokens come milliseconds
//   apart, so its first event reaches the proxy alone (with "spaced", a proxy that takes longer over a stream's
//   head finds the next events waiting behind the first; short, for the time-to-first-byte figures).
// The memory benchmark adds two more: "bytes:N", events of ~230 bytes until N bytes were sent, as fast as the
// reader takes them (written in batches, waiting for 'drain'); "hold", one event, then nothing until `release()`.
import { createServer } from 'node:http';

/** How many events of a "paced" stream come 1 ms apart (the rest follow at once). */
export const PACED_EVENTS = 5;

/** The response header carrying `receivedAt startedAnswerAt` (performance.now(), ms) of each request. */
export const TIMES_HEADER = 'x-bench-upstream-times';

function chunk(content, usage) {
  const body = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'gpt-4o-2024-08-06',
    system_fingerprint: 'fp_bench',
    choices: usage ? [] : [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
  };
  if (usage !== undefined) body.usage = usage;
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** The Anthropic Messages stream of `chunks` text deltas (`POST /v1/messages`), event by event. */
function anthropicEvents(chunks) {
  const event = (name, body) => `event: ${name}\ndata: ${JSON.stringify(body)}\n\n`;
  const message = {
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
  };
  return [
    event('message_start', { type: 'message_start', message }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...Array.from({ length: chunks }, (_, index) =>
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: ` tok${index}` },
      }),
    ),
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: chunks },
    }),
    event('message_stop', { type: 'message_stop' }),
  ];
}

/**
 * Starts the upstream; resolves to `{ url, close }`. `POST /v1/messages` streams Anthropic events (spaced or
 * burst as below); any other path speaks OpenAI chat.
 * @param {{ chunks: number }} options
 */
export async function startFakeUpstream({ chunks }) {
  const usage = { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks };
  const json = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there!' }, finish_reason: 'stop' }],
    usage: { ...usage, completion_tokens: 4, total_tokens: 16 },
  });
  const held = new Set();
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const receivedAt = performance.now();
    // When the request came and when its answer starts (its head goes out with the first bytes, in this turn):
    // on this process's clock, which is the load client's when both run in one process (proxy-overhead.mjs).
    const times = () => `${receivedAt} ${performance.now()}`;
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString());
      } catch {
        // A readiness probe (GET /) or anything that is not a chat call.
        res.writeHead(404).end();
        return;
      }
      if (!body.stream) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
          [TIMES_HEADER]: times(),
        });
        res.end(json);
        return;
      }
      if (req.url?.startsWith('/v1/messages')) {
        const events = anthropicEvents(chunks);
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          [TIMES_HEADER]: times(),
        });
        if (body.user === 'burst') {
          for (const event of events) res.write(event);
          res.end();
          return;
        }
        let sent = 0;
        const next = () => {
          if (res.destroyed) return;
          if (sent < events.length) {
            res.write(events[sent++]);
            setImmediate(next);
            return;
          }
          res.end();
        };
        next();
        return;
      }
      const withUsage = body.stream_options?.include_usage === true;
      const event = (index) => chunk(` tok${index}`, withUsage ? null : undefined);
      const tail = `${withUsage ? chunk('', usage) : ''}data: [DONE]\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', [TIMES_HEADER]: times() });
      if (typeof body.user === 'string' && body.user.startsWith('bytes:')) {
        let left = Number(body.user.slice('bytes:'.length));
        const more = () => {
          while (left > 0 && !res.destroyed) {
            let batch = '';
            for (let i = 0; i < 64 && left > batch.length; i++) batch += event(i);
            left -= batch.length;
            if (!res.write(batch)) return void res.once('drain', more);
          }
          res.end(tail);
        };
        more();
        return;
      }
      if (body.user === 'hold') {
        res.write(event(0));
        held.add(() => res.end(tail));
        return;
      }
      if (body.user === 'burst') {
        for (let sent = 0; sent < chunks; sent++) res.write(event(sent));
        res.end(tail);
        return;
      }
      if (body.user === 'paced') {
        let sent = 0;
        const next = () => {
          if (res.destroyed) return;
          res.write(event(sent++));
          if (sent < Math.min(PACED_EVENTS, chunks)) {
            setTimeout(next, 1);
            return;
          }
          while (sent < chunks) res.write(event(sent++));
          res.end(tail);
        };
        next();
        return;
      }
      let sent = 0;
      const next = () => {
        if (res.destroyed) return;
        if (sent < chunks) {
          res.write(event(sent++));
          setImmediate(next);
          return;
        }
        res.end(tail);
      };
      next();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    /** Ends every "hold" stream under way. */
    release: () => {
      for (const end of held) end();
      held.clear();
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
