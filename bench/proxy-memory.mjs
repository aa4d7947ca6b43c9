// The proxy's memory, its resident set (VmRSS in /proc/PID/status) sampled every 50 ms while:
// 1. `streamMb` MB of SSE streams go through it (streams of `perStreamMb` MB, 4 at a time, read as fast as the
//    client can): the goal is a flat RSS, within 30 MB of what it was before;
// 2. `concurrent` slow streams are open at once (each got its first event, then waits): the RSS they add,
//    stated per 1,000 streams.
// The proxy is the built one (`npm run build`), its own process with its defaults (dashboard on, usage injected,
// a log line per call to /dev/null), in front of bench/lib/fake-upstream.mjs, and a bare `http-proxy` as the floor.
// Loopback only. What grows while bytes stream is V8's heap sizing, not data kept: the young generation grows
// with the allocation rate (8 → 32 MB semi-spaces) and the old generation's limit with it, while the live heap
// after a full GC stays where it was (15 MB); RSS levels off after a few hundred MB. So the figures move between
// runs by tens of MB, for the floor too: compare them within one run.
//
//   npm run build && npm run bench:memory [-- --smoke]
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { startFakeUpstream } from './lib/fake-upstream.mjs';
import { processRssMb } from './lib/process-cpu.mjs';
import { startNodeProxy } from './lib/proxy-contenders.mjs';

export const MEMORY_SIZES = {
  full: { streamMb: 100, perStreamMb: 5, concurrent: 1000 },
  smoke: { streamMb: 2, perStreamMb: 0.5, concurrent: 20 },
};

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/**
 * One streamed call through the proxy; `onFirst` is called at its first bytes. Resolves to the bytes read once
 * the stream ended; a status other than 200 rejects.
 */
function stream(base, user, onFirst = () => {}) {
  const payload = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true, user });
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/v1/chat/completions`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: 'Bearer sk-bench',
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`${base} answered ${res.statusCode}`));
          return;
        }
        let bytes = 0;
        res.on('data', (part) => {
          if (bytes === 0) onFirst();
          bytes += part.length;
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Samples the RSS of `pid` every 50 ms until `stop()`, which resolves to `{ max, last }` in MB. */
function sampleRss(pid) {
  let max = processRssMb(pid);
  let last = max;
  const timer = setInterval(() => {
    last = processRssMb(pid);
    max = Math.max(max, last);
  }, 50);
  return () => {
    clearInterval(timer);
    last = processRssMb(pid);
    return { max: Math.max(max, last), last };
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams `totalBytes` in streams of `perStream` bytes, `concurrency` at a time; resolves to the bytes read. */
async function streamThrough(base, totalBytes, perStream, concurrency) {
  let left = Math.ceil(totalBytes / perStream);
  let read = 0;
  const lane = async () => {
    while (left > 0) {
      left--;
      const bytes = await stream(base, `bytes:${perStream}`);
      read += bytes;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return read;
}

/** The figures of one proxy (`kind` of bench/lib/proxy-worker.mjs), its own process in front of `upstream`. */
async function measure(kind, upstream, size) {
  const proxy = await startNodeProxy(kind, upstream.url);
  try {
    const perStream = Math.round(size.perStreamMb * 1e6);
    // Warm-up: code compiled, buffers and pools at their working size, before the baseline.
    await streamThrough(proxy.url, perStream * 4, perStream, 4);
    await pause(500);
    const before = processRssMb(proxy.pid);
    const streaming = sampleRss(proxy.pid);
    const read = await streamThrough(proxy.url, size.streamMb * 1e6, perStream, 4);
    const during = streaming();

    await pause(1000);
    const idle = processRssMb(proxy.pid);
    const heap = await proxy.heap();
    let started = 0;
    let allStarted;
    const everyOneStarted = new Promise((resolve) => {
      allStarted = resolve;
    });
    const onFirst = () => {
      if (++started === size.concurrent) allStarted();
    };
    const open = Array.from({ length: size.concurrent }, () => stream(proxy.url, 'hold', onFirst));
    const failed = Promise.all(open).then(() => {
      throw new Error('a held stream ended before it was released');
    });
    await Promise.race([everyOneStarted, failed]);
    await pause(500);
    const holding = sampleRss(proxy.pid);
    await pause(1000);
    const withStreams = holding().last;
    upstream.release();
    await Promise.all(open);
    // What the proxy still holds once every stream ended: read last, as the collection it takes frees memory.
    const live = await proxy.heap(true);
    return {
      streamedMb: read / 1e6,
      beforeMb: before,
      peakMb: during.max,
      growthMb: during.max - before,
      idleMb: idle,
      heap,
      live,
      concurrent: size.concurrent,
      withStreamsMb: withStreams,
      perThousandMb: ((withStreams - idle) * 1000) / size.concurrent,
    };
  } finally {
    proxy.stop();
  }
}

const CONTENDERS = [
  { kind: 'bare', name: 'bare http-proxy (floor)' },
  { kind: 'llmeter', name: 'llmeter proxy' },
];

/**
 * Resolves to `{ rows: [{ case, name, figure }], notes, figures }` for a bare `http-proxy` (the floor) and the
 * llmeter proxy: the RSS growth while `streamMb` MB go through, and the RSS per 1,000 concurrent streams.
 */
export async function runMemoryBench(size) {
  const upstream = await startFakeUpstream({ chunks: 1 });
  try {
    const measured = [];
    for (const contender of CONTENDERS)
      measured.push({ ...contender, figures: await measure(contender.kind, upstream, size) });
    const streamed = Math.round(size.streamMb);
    const rows = [
      ...measured.map(({ name, figures }) => ({
        case: `RSS growth while ${streamed} MB stream through`,
        name,
        figure: `${figures.growthMb.toFixed(1)} MB`,
      })),
      ...measured.map(({ name, figures }) => ({
        case: 'RSS per 1,000 concurrent streams',
        name,
        figure: `${figures.perThousandMb.toFixed(1)} MB`,
      })),
    ];
    const notes = measured.map(
      ({ name, figures }) =>
        `memory, ${name}: RSS ${figures.beforeMb.toFixed(0)} MB before ${figures.streamedMb.toFixed(0)} MB ` +
        `streamed (${size.perStreamMb} MB streams, 4 at a time), peak ${figures.peakMb.toFixed(0)} MB; ` +
        `${figures.idleMb.toFixed(0)} MB idle` +
        ` (V8 heap ${(figures.heap.total / 1e6).toFixed(0)} MB, ${(figures.heap.used / 1e6).toFixed(0)} MB of it used)` +
        `, ${figures.withStreamsMb.toFixed(0)} MB with ${size.concurrent} streams open; after them all and a full ` +
        `GC, ${(figures.live.used / 1e6).toFixed(0)} MB of heap in use and ` +
        `${(figures.live.arrayBuffers / 1e6).toFixed(1)} MB of buffers`,
    );
    return { rows, notes, figures: measured };
  } finally {
    agent.destroy();
    upstream.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
  const { rows, notes } = await runMemoryBench(MEMORY_SIZES[values.smoke ? 'smoke' : 'full']);
  for (const row of rows) console.log(`${row.case}, ${row.name}: ${row.figure}`);
  for (const note of notes) console.log(note);
  console.log(`node ${process.version}; goal: RSS growth within 30 MB while 100 MB stream through`);
}
