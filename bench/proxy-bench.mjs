// The proxy section of `npm run bench`: CPU of the proxy process per request, requests per second, and added
// time to first byte, for every proxy in lib/proxy-contenders.mjs side by side (interleaved rounds, medians).

import { startFakeUpstream } from './lib/fake-upstream.mjs';
import { call, closeLoad, load } from './lib/http-load.mjs';
import { processCpuMicros, processRssMb } from './lib/process-cpu.mjs';
import { startProxyContenders } from './lib/proxy-contenders.mjs';
import { median, shuffler } from './lib/stats.mjs';

export const PROXY_SIZES = {
  full: { rounds: 9, json: 2000, stream: 200, chunks: 200, concurrency: 8, ttfb: 100 },
  smoke: { rounds: 1, json: 10, stream: 3, chunks: 200, concurrency: 2, ttfb: 2 },
};

function cases(chunks) {
  const messages = [{ role: 'user', content: 'Say hello' }];
  const asked = { stream: true, stream_options: { include_usage: true } };
  return [
    { name: 'JSON chat reply', body: { model: 'gpt-4o', messages }, stream: false },
    ...['spaced', 'burst'].flatMap((arrival) => [
      {
        name: `${chunks}-chunk stream, usage asked, ${arrival}`,
        body: { model: 'gpt-4o', messages, user: arrival, ...asked },
        stream: true,
      },
      {
        name: `${chunks}-chunk stream, usage injected, ${arrival}`,
        body: { model: 'gpt-4o', messages, user: arrival, stream: true },
        stream: true,
      },
    ]),
  ];
}

/** One round of `count` requests through one proxy: CPU µs per request and requests per second. */
async function round(contender, body, count, concurrency) {
  const cpuBefore = processCpuMicros(contender.pid);
  const started = performance.now();
  await load(contender.url, body, count, concurrency, contender.headers);
  const seconds = (performance.now() - started) / 1000;
  return { cpu: (processCpuMicros(contender.pid) - cpuBefore) / count, rps: count / seconds };
}

/**
 * Runs the proxy benchmark; resolves to `{ rows, notes }`, a row per case and proxy:
 * `{ case, name, floor, cpuUs, cpuRatio, rps, rpsRatio, ttfbAddedMs }`.
 */
export async function runProxyBench(size) {
  const upstream = await startFakeUpstream({ chunks: size.chunks });
  const { contenders, skipped } = await startProxyContenders(upstream.url);
  const rows = [];
  try {
    for (const one of cases(size.chunks)) {
      const count = one.stream ? size.stream : size.json;
      for (const contender of contenders) {
        await load(contender.url, one.body, Math.min(count, 100), size.concurrency, contender.headers); // warm-up
      }
      const samples = new Map(contenders.map((contender) => [contender, { cpu: [], rps: [] }]));
      // In a new order each round, so that drift (GC, CPU frequency, neighbours) hits every proxy alike and none
      // always runs right after the same other one (a rotation kept llmeter after the gateway in every round).
      const roundOrder = shuffler(contenders, 2);
      for (let index = 0; index < size.rounds; index++) {
        for (const contender of roundOrder()) {
          const { cpu, rps } = await round(contender, one.body, count, size.concurrency);
          samples.get(contender).cpu.push(cpu);
          samples.get(contender).rps.push(rps);
        }
      }
      const ttfb = new Map([[null, []], ...contenders.map((contender) => [contender, []])]);
      // One request at a time, direct and through each proxy, in a new order each round: a request pays for what
      // the one before it left running (a slow proxy's work after its response), so none may always follow the same.
      const order = shuffler([null, ...contenders]);
      for (let index = 0; index < size.ttfb; index++) {
        for (const contender of order()) {
          const sample = await (contender === null
            ? call(upstream.url, one.body)
            : call(contender.url, one.body, contender.headers));
          ttfb.get(contender).push(sample);
        }
      }
      const floor = samples.get(contenders[0]);
      // Ratios are medians of each round's ratio to the floor's round (measured next to it), not ratios of the
      // medians: the machine's speed drifts between rounds (the floor's CPU per JSON call ranged 59-89 µs across
      // runs), and a pair measured together shares the drift.
      const pairedRatio = (values, floorValues) => median(values.map((value, round) => value / floorValues[round]));
      for (const contender of contenders) {
        const { cpu, rps } = samples.get(contender);
        rows.push({
          case: one.name,
          name: contender.name,
          floor: contender.floor === true,
          cpuUs: median(cpu),
          cpuRatio: pairedRatio(cpu, floor.cpu),
          rps: median(rps),
          rpsRatio: pairedRatio(rps, floor.rps),
          ttfbAddedMs: median(ttfb.get(contender)) - median(ttfb.get(null)),
        });
      }
    }
    const rss = contenders.map((contender) => `${contender.name} ${processRssMb(contender.pid).toFixed(0)} MB`);
    return { rows, notes: [...skipped.map((what) => `left out: ${what}`), `RSS after the run: ${rss.join(', ')}`] };
  } finally {
    for (const contender of contenders) contender.stop();
    closeLoad();
    upstream.close();
  }
}
