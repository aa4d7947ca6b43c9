// The SDK section of `npm run bench`: what each wrapper adds to a call of the real `openai` client over an
// in-process transport (lib/fake-openai-fetch.mjs), in interleaved rounds; medians of the per-round µs.
import { sdkContenders } from './lib/sdk-contenders.mjs';
import { median } from './lib/stats.mjs';

export const SDK_SIZES = {
  full: { rounds: 15, calls: 1500, chunks: 50 },
  smoke: { rounds: 1, calls: 5, chunks: 50 },
};

const messages = [{ role: 'user', content: 'Say hello' }];

/** Each workload: a call, and what its time is divided by (1, or the content chunks of a stream). */
function workloads(chunks) {
  return [
    {
      name: 'non-streaming call',
      per: 1,
      run: async (client) => {
        await client.chat.completions.create({ model: 'gpt-4o', messages });
      },
    },
    {
      // The caller asks for usage, so every client parses the same bytes: the row is the wrapper alone.
      name: `stream, per chunk (${chunks} chunks)`,
      per: chunks,
      run: async (client) => {
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
    },
  ];
}

function microsPerCall(contender, workload, calls) {
  return contender.around(async () => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) await workload.run(contender.client);
    return ((performance.now() - start) * 1000) / calls / workload.per;
  });
}

/**
 * Runs the SDK benchmark; resolves to `{ rows, notes }`, a row per case and contender, the floor first:
 * `{ case, name, floor, micros, addedMicros, measured }` (µs per call, or per chunk for the stream case; added =
 * median of the per-round differences from the unwrapped client).
 */
export async function runSdkBench(size) {
  const words = Array.from({ length: size.chunks }, (_, index) => ` w${index}`);
  const contenders = sdkContenders(words);
  const rows = [];
  for (const workload of workloads(size.chunks)) {
    for (const contender of contenders) await microsPerCall(contender, workload, size.calls); // warm-up (JIT)
    const runs = new Map(contenders.map((contender) => [contender, []]));
    const added = new Map(contenders.map((contender) => [contender, []]));
    for (let round = 0; round < size.rounds; round++) {
      // Rotate who goes first, so that drift hits every contender alike.
      const order = contenders.map((_, at) => contenders[(at + round) % contenders.length]);
      const thisRound = new Map();
      for (const contender of order) thisRound.set(contender, await microsPerCall(contender, workload, size.calls));
      const floor = thisRound.get(contenders[0]);
      for (const contender of contenders) {
        runs.get(contender).push(thisRound.get(contender));
        added.get(contender).push(thisRound.get(contender) - floor);
      }
    }
    for (const contender of contenders) {
      rows.push({
        case: workload.name,
        name: contender.name,
        floor: contender.floor === true,
        micros: median(runs.get(contender)),
        addedMicros: median(added.get(contender)),
        measured: await contender.measured(),
      });
    }
  }
  const measured = rows
    .filter((row) => !row.floor && row.case === rows.at(-1)?.case)
    .map((row) => `${row.name} ${row.measured}`);
  return { rows, notes: [`calls (or spans) each wrapper measured: ${measured.join(', ')}`] };
}
