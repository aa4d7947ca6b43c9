/**
 * `npm run bench:sdk`: the SDK section of `npm run bench` on its own (sdk-bench.mjs): what each wrapper adds to a
 * call of the real `openai` client over an in-process fake transport, every contender in the same interleaved
 * rounds; medians. Runs on Node's own type stripping against the built packages (`npm run build` first):
 *
 *   npm run bench:sdk
 *   npm run bench:sdk -- --rounds 9 --calls 1000     (shorter)
 *   npm run bench:sdk -- --only stream               (the cases whose name contains `stream`)
 *   LLMETER_BENCH_BEFORE=/path/to/other/checkout/packages/sdk/dist/index.js npm run bench:sdk   (before/after)
 */
import { parseArgs } from 'node:util';
import { machineLine } from './lib/machine.mjs';
import { runSdkBench, SDK_SIZES } from './sdk-bench.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    calls: { type: 'string' },
    chunks: { type: 'string' },
    only: { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
});
const base = values.smoke ? SDK_SIZES.smoke : SDK_SIZES.full;
const size = {
  rounds: values.rounds === undefined ? base.rounds : Number(values.rounds),
  calls: values.calls === undefined ? base.calls : Number(values.calls),
  chunks: values.chunks === undefined ? base.chunks : Number(values.chunks),
  only: values.only,
};

const { rows, notes } = await runSdkBench(size);
console.log(`SDK overhead: median of ${size.rounds} interleaved rounds of ${size.calls} calls; ${machineLine()}`);
console.table(
  rows.map((row) => ({
    case: row.case,
    contender: row.floor ? `${row.name} (floor)` : row.name,
    µs: row.micros.toFixed(2),
    'added µs (median of rounds)': row.floor ? '' : row.addedMicros.toFixed(2),
    'CPU µs': row.cpuMicros.toFixed(2),
    'added CPU µs': row.floor ? '' : row.addedCpuMicros.toFixed(2),
  })),
);
for (const note of notes) console.log(note);
