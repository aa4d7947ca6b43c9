// The SDK section of `npm run bench`: what each wrapper adds to a call of the real `openai` client over an
// in-process transport (lib/fake-openai-fetch.mjs), in interleaved rounds; medians of the per-round µs.
import { sdkContenders } from './lib/sdk-contenders.mjs';
import { median } from './lib/stats.mjs';

export const SDK_SIZES = {
  full: { rounds: 15, calls: 1500, chunks: 50 },
  smoke: { rounds: 1, calls: 5, chunks: 50 },
};

const messages = [{ role: 'user', content: 'Say hello' }];

/**
 * Each workload: a call, what its time is divided by (1, or the content chunks of a stream), and whether the
 * replies carry OpenAI's own headers (rate limits and the rest, as api.openai.com sends them).
 */
function workloads(chunks) {
  const chat = async (client) => {
    await client.chat.completions.create({ model: 'gpt-4o', messages });
  };
  const stream = (options) => async (client) => {
    const chunks = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true, ...options });
    for await (const _ of chunks) {
      // read every chunk
    }
  };
  return [
    { name: 'non-streaming call', per: 1, run: chat },
    { name: 'non-streaming call, OpenAI reply headers', per: 1, replyHeaders: true, run: chat },
    {
      // The caller asks for usage, so every client parses the same bytes: the row is the wrapper alone.
      name: `stream, per chunk (${chunks} chunks)`,
      per: chunks,
      run: stream({ stream_options: { include_usage: true } }),
    },
    {
      // The caller does not ask (the usual case): llmeter asks for usage, so its client parses `"usage":null` in
      // every chunk and one chunk more, and hides them; the other wrappers count no tokens for such a stream.
      name: `stream, usage not asked, per chunk (${chunks} chunks)`,
      per: chunks,
      run: stream({}),
    },
  ];
}

/**
 * One round of one contender: wall µs per call (or chunk), and the process's CPU µs (user + system, all threads:
 * the garbage collector's helpers too), which other processes on a shared machine disturb far less.
 */
function microsPerCall(contender, workload, calls) {
  return contender.around(async () => {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < calls; i++) await workload.run(contender.client);
    const cpu = process.cpuUsage(cpuStart);
    const per = calls * workload.per;
    return { wall: ((performance.now() - start) * 1000) / per, cpu: (cpu.user + cpu.system) / per };
  });
}

/**
 * Runs the SDK benchmark; resolves to `{ rows, notes }`, a row per case and contender, the floor first:
 * `{ case, name, floor, micros, addedMicros, cpuMicros, addedCpuMicros, measured }` (wall µs per call, or per
 * chunk for the stream case; added = median of the per-round differences from the unwrapped client; the same
 * in CPU µs).
 */
export async function runSdkBench(size) {
  const words = Array.from({ length: size.chunks }, (_, index) => ` w${index}`);
  const rows = [];
  const chosen = workloads(size.chunks).filter((workload) => !size.only || workload.name.includes(size.only));
  for (const workload of chosen) {
    const contenders = sdkContenders(words, { replyHeaders: workload.replyHeaders === true });
    for (const contender of contenders) await microsPerCall(contender, workload, size.calls); // warm-up (JIT)
    const runs = new Map(contenders.map((contender) => [contender, []]));
    const added = new Map(contenders.map((contender) => [contender, []]));
    const cpuRuns = new Map(contenders.map((contender) => [contender, []]));
    const cpuAdded = new Map(contenders.map((contender) => [contender, []]));
    for (let round = 0; round < size.rounds; round++) {
      // Rotate who goes first, so that drift hits every contender alike.
      const order = contenders.map((_, at) => contenders[(at + round) % contenders.length]);
      const thisRound = new Map();
      for (const contender of order) thisRound.set(contender, await microsPerCall(contender, workload, size.calls));
      const floor = thisRound.get(contenders[0]);
      for (const contender of contenders) {
        const { wall, cpu } = thisRound.get(contender);
        runs.get(contender).push(wall);
        added.get(contender).push(wall - floor.wall);
        cpuRuns.get(contender).push(cpu);
        cpuAdded.get(contender).push(cpu - floor.cpu);
      }
    }
    for (const contender of contenders) {
      rows.push({
        case: workload.name,
        name: contender.name,
        floor: contender.floor === true,
        micros: median(runs.get(contender)),
        addedMicros: median(added.get(contender)),
        cpuMicros: median(cpuRuns.get(contender)),
        addedCpuMicros: median(cpuAdded.get(contender)),
        measured: await contender.measured(),
      });
    }
  }
  const measured = rows
    .filter((row) => !row.floor && row.case === rows.at(-1)?.case)
    .map((row) => `${row.name} ${row.measured}`);
  return { rows, notes: [`calls (or spans) each wrapper measured in the last case: ${measured.join(', ')}`] };
}
