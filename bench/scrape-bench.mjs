// The scrape section of `npm run bench`: what GET /metrics takes on a llmeter proxy at the default series
// budget (offered 30,000 label sets), dashboard on, idle and while JSON chat traffic runs through it; then the
// CPU the proxy uses idle (past the dashboard's sample after the traffic).
//
// LLMETER_BENCH_BEFORE=<module exporting startProxy> (another build's @llmeter/proxy, e.g. a checkout of the
// previous commit's packages/proxy/dist/index.js) measures that build as "llmeter proxy (before)" in the same
// run, its scrapes interleaved with the current build's.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROXY_NODE_OPTIONS } from '@llmeter/proxy/node-options';
import { startFakeUpstream } from './lib/fake-upstream.mjs';
import { closeLoad, load } from './lib/http-load.mjs';
import { processCpuMicros } from './lib/process-cpu.mjs';
import { median, timed } from './lib/stats.mjs';

export const SCRAPE_SIZES = {
  full: { rounds: 5, scrapes: 6, concurrency: 8, settleMs: 6000, idleSeconds: 20 },
  smoke: { rounds: 1, scrapes: 2, concurrency: 2, settleMs: 0, idleSeconds: 0.5 },
};

const WORKER = fileURLToPath(new URL('./lib/filled-proxy-worker.mjs', import.meta.url));

function startFilledProxy(upstream, module) {
  const child = fork(WORKER, [upstream, ...(module ? [module] : [])], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // The Node options `llmeter proxy` starts the proxy with.
    execArgv: [...PROXY_NODE_OPTIONS],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the filled proxy exited with ${code} before listening`)));
    child.once('message', ({ port }) => {
      child.removeAllListeners('exit');
      resolve({ url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.disconnect() });
    });
  });
}

async function scrape(proxy) {
  const { ms, result } = await timed(async () => (await fetch(`${proxy.url}/metrics`)).text());
  return { ms, lines: result.split('\n').length - 1 };
}

/** `count` scrapes of `proxy`, while chat calls run through it when `busy`; their times in ms. */
async function scrapes(proxy, count, busy, concurrency) {
  let traffic = busy;
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] };
  const running = (async () => {
    while (traffic) await load(proxy.url, body, 50, concurrency, { 'x-llmeter-label-team': 'team-1' });
  })();
  const times = [];
  for (let index = 0; index < count; index++) times.push((await scrape(proxy)).ms);
  traffic = false;
  await running;
  return times;
}

/** Resolves to `{ rows: [{ case, name, ms?, figure? }], notes }`. */
export async function runScrapeBench(size) {
  const upstream = await startFakeUpstream({ chunks: 1 });
  const before = process.env.LLMETER_BENCH_BEFORE;
  const proxies = [{ name: 'llmeter proxy', ...(await startFilledProxy(upstream.url)) }];
  if (before) proxies.push({ name: 'llmeter proxy (before)', ...(await startFilledProxy(upstream.url, before)) });
  try {
    let lines = 0;
    for (const proxy of proxies) {
      lines = (await scrape(proxy)).lines; // warm-up
      proxy.idle = [];
      proxy.idleCpu = [];
      proxy.busy = [];
    }
    for (let round = 0; round < size.rounds; round++) {
      // Rotate who goes first, so that drift (GC, neighbours) hits every build alike.
      for (let i = 0; i < proxies.length; i++) {
        const proxy = proxies[(round + i) % proxies.length];
        const cpu = processCpuMicros(proxy.pid);
        proxy.idle.push(...(await scrapes(proxy, size.scrapes, false, size.concurrency)));
        proxy.idleCpu.push((processCpuMicros(proxy.pid) - cpu) / 1000 / size.scrapes);
        proxy.busy.push(...(await scrapes(proxy, size.scrapes, true, size.concurrency)));
      }
    }
    // Past the dashboard's sample after the traffic (every 5 s): from then on nothing changes.
    await new Promise((resolve) => setTimeout(resolve, size.settleMs));
    const cpuBefore = proxies.map((proxy) => processCpuMicros(proxy.pid));
    await new Promise((resolve) => setTimeout(resolve, size.idleSeconds * 1000));
    proxies.forEach((proxy, i) => {
      proxy.idleCpuMs = (processCpuMicros(proxy.pid) - (cpuBefore[i] ?? 0)) / 1000;
    });
    const rows = [];
    for (const proxy of proxies) {
      rows.push({ case: '/metrics idle, default series budget', name: proxy.name, ms: median(proxy.idle) });
    }
    for (const proxy of proxies) {
      rows.push({ case: '/metrics idle, proxy CPU per scrape', name: proxy.name, ms: median(proxy.idleCpu) });
    }
    for (const proxy of proxies) {
      rows.push({ case: '/metrics under load, default series budget', name: proxy.name, ms: median(proxy.busy) });
    }
    for (const proxy of proxies) {
      const share = proxy.idleCpuMs / (size.idleSeconds * 1000);
      rows.push({
        case: 'idle proxy CPU, dashboard on',
        name: proxy.name,
        figure: `${(share * 100).toFixed(2)} % of a core`,
      });
    }
    return {
      rows,
      notes: [
        `scrape: /metrics had ${lines} lines; medians of ${size.rounds * size.scrapes} scrapes idle and as many ` +
          `while chat calls ran (${size.concurrency} at a time); idle CPU over ${size.idleSeconds} s, ` +
          proxies.map((proxy) => `${proxy.name} ${proxy.idleCpuMs.toFixed(0)} ms`).join(', '),
      ],
    };
  } finally {
    closeLoad();
    for (const proxy of proxies) proxy.stop();
    upstream.close();
  }
}
