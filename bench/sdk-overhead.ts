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
import { fakeOpenAIFetch } from './lib/fake-openai-fetch.mjs';
import { median } from './lib/stats.mjs';

const ROUNDS = 15;
const CALLS_PER_ROUND = 1500;
const messages = [{ role: 'user' as const, content: 'Say hello' }];

const fakeFetch = fakeOpenAIFetch(['Hello', ' there', ',', ' how', ' are', ' you', '?']);

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
