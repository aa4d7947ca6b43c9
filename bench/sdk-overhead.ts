/**
 * What `instrument()` adds to a call: the same OpenAI client class, wrapped and unwrapped, against the same
 * in-process fake transport (the client's `fetch` option answers with a canned `Response`, no network), in
 * interleaved rounds; medians of the per-round µs/call.
 *
 * Runs on Node's own type stripping against the built packages (`npm run build` first):
 *   npm run bench:sdk
 */
import { instrument } from '@llmeter/sdk';
import OpenAI from 'openai';
import { Registry } from 'prom-client';

const ROUNDS = 15;
const CALLS_PER_ROUND = 1500;
const messages = [{ role: 'user' as const, content: 'Say hello' }];

const completionBody = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } },
});

function streamBody(includeUsage: boolean): string {
  const chunk = (choices: unknown[], usage?: unknown) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  const delta = (content: string) => chunk([{ index: 0, delta: { content }, finish_reason: null }]);
  let body = chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const word of ['Hello', ' there', ',', ' how', ' are', ' you', '?']) body += delta(word);
  body += chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
  if (includeUsage) body += chunk([], { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
  return `${body}data: [DONE]\n\n`;
}
const streamBodies = { true: streamBody(true), false: streamBody(false) };

// The same transport for both clients: it answers as OpenAI would, usage chunk only when asked for.
const fakeFetch = async (_url: unknown, init?: { body?: unknown }): Promise<Response> => {
  const body = JSON.parse(String(init?.body)) as { stream?: boolean; stream_options?: { include_usage?: boolean } };
  if (!body.stream) return new Response(completionBody, { headers: { 'content-type': 'application/json' } });
  const includeUsage = body.stream_options?.include_usage === true;
  return new Response(streamBodies[String(includeUsage) as 'true' | 'false'], {
    headers: { 'content-type': 'text/event-stream' },
  });
};

const newClient = () =>
  new OpenAI({ apiKey: 'sk-bench', baseURL: 'https://api.openai.com/v1', maxRetries: 0, fetch: fakeFetch });

type Workload = (client: OpenAI) => Promise<void>;
const workloads: Record<string, Workload> = {
  'chat JSON': async (client) => {
    await client.chat.completions.create({ model: 'gpt-4o', messages });
  },
  // The caller asks for usage itself, so both clients parse the same bytes: this row is the wrapper alone.
  'chat stream, caller asks include_usage': async (client) => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      // read every chunk
    }
  },
  // The wrapped client asks for usage on the caller's behalf: one more chunk to parse, then hidden.
  'chat stream (9 chunks)': async (client) => {
    for await (const _ of await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
      // read every chunk
    }
  },
};

async function microsPerCall(client: OpenAI, workload: Workload): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < CALLS_PER_ROUND; i++) await workload(client);
  return ((performance.now() - start) * 1000) / CALLS_PER_ROUND;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const plain = newClient();
  const registry = new Registry();
  const wrapped = instrument(newClient(), { registry });
  const rows: Record<string, Record<string, string>> = {};
  for (const [name, workload] of Object.entries(workloads)) {
    // Warm both paths (JIT, tiktoken stays unloaded: usage is reported).
    await microsPerCall(plain, workload);
    await microsPerCall(wrapped, workload);
    const plainRuns: number[] = [];
    const wrappedRuns: number[] = [];
    const differences: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so drift (GC, CPU frequency, neighbours) hits both alike.
      const first = round % 2 === 0;
      const a = first ? await microsPerCall(plain, workload) : 0;
      const b = await microsPerCall(wrapped, workload);
      const c = first ? a : await microsPerCall(plain, workload);
      plainRuns.push(c);
      wrappedRuns.push(b);
      differences.push(b - c);
    }
    rows[name] = {
      'unwrapped µs/call': median(plainRuns).toFixed(2),
      'wrapped µs/call': median(wrappedRuns).toFixed(2),
      'added µs/call (median of rounds)': median(differences).toFixed(2),
      ratio: (median(wrappedRuns) / median(plainRuns)).toFixed(3),
    };
  }
  console.log(
    `instrument() overhead, median of ${ROUNDS} rounds of ${CALLS_PER_ROUND} calls (Node ${process.version})`,
  );
  console.table(rows);
  // The wrapped client must really have measured, or the comparison means nothing.
  const text = await registry.metrics();
  const measured = /llm_requests_total\{[^}]*status="ok"[^}]*\} (\d+)/.exec(text)?.[1];
  console.log(`calls measured by the wrapped client: ${measured ?? 0}`);
}

await main();
