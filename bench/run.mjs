// `npm run bench`: every benchmark in one run on this machine, and one table of ratios against the floors
// (bare http-proxy for the proxies, the unwrapped client for the SDK wrappers). Loopback only.
//
//   npm run build && npm run bench            (a few minutes)
//   npm run bench -- --smoke                  (tiny counts, a few seconds: that everything runs, not figures)
// LLMETER_BENCH_SMOKE=1 does what --smoke does.
import { parseArgs } from 'node:util';
import { machineLine } from './lib/machine.mjs';
import { PROXY_SIZES, runProxyBench } from './proxy-bench.mjs';
import { MEMORY_SIZES, runMemoryBench } from './proxy-memory.mjs';
import { runScrapeBench, SCRAPE_SIZES } from './scrape-bench.mjs';
import { runSdkBench, SDK_SIZES } from './sdk-bench.mjs';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
const size = values.smoke || process.env.LLMETER_BENCH_SMOKE === '1' ? 'smoke' : 'full';

const proxy = await runProxyBench(PROXY_SIZES[size]);
const sdk = await runSdkBench(SDK_SIZES[size]);
const scrape = await runScrapeBench(SCRAPE_SIZES[size]);
const memory = await runMemoryBench(MEMORY_SIZES[size]);

const ratio = (value) => `${value.toFixed(2)}x`;
const signed = (value, digits) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const table = [['bench', 'case', 'contender', 'figure', 'vs floor', 'req/s (vs floor)', 'added TTFB']];
for (const row of proxy.rows) {
  table.push([
    'proxy',
    row.case,
    row.floor ? `${row.name} (floor)` : row.name,
    `${row.cpuUs.toFixed(0)} µs CPU/req`,
    ratio(row.cpuRatio),
    `${row.rps.toFixed(0)} (${ratio(row.rpsRatio)})`,
    `${signed(row.ttfbAddedMs, 2)} ms`,
  ]);
}
for (const row of sdk.rows) {
  table.push([
    'sdk',
    row.case,
    row.floor ? `${row.name} (floor)` : row.name,
    `${row.micros.toFixed(2)} µs`,
    row.floor ? '' : `${signed(row.addedMicros, 2)} µs`,
    '',
    '',
  ]);
}
for (const row of scrape.rows) {
  table.push(['scrape', row.case, row.name, row.figure ?? `${row.ms.toFixed(1)} ms`, '', '', '']);
}
for (const row of memory.rows) table.push(['memory', row.case, row.name, row.figure, '', '', '']);

const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
console.log(`llmeter benchmarks${size === 'smoke' ? ' (SMOKE: tiny counts, figures mean nothing)' : ''}`);
console.log(machineLine());
console.log(
  'proxy: CPU of the proxy process per request, median of interleaved rounds; req/s at the same concurrency;\n' +
    'added TTFB = median time to first byte through the proxy minus direct. sdk: µs per call (per chunk for\n' +
    'streams), vs floor = µs added over the unwrapped client. scrape: GET /metrics idle and while calls run,\n' +
    'and the CPU of an idle proxy. memory: RSS of the proxy process (VmRSS).',
);
console.log('');
console.log(line(table[0]));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
console.log('');
for (const note of [...proxy.notes, ...sdk.notes, ...scrape.notes, ...memory.notes]) console.log(note);
