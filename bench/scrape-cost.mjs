// What a `/metrics` scrape and a dashboard sample cost as label sets grow, side by side in one run: at the
// default series budget (2,000 label sets, offered 30,000 combinations), and at 10,000 and 30,000 label sets
// with no budget, for contrast. Then the idle CPU of a proxy process with its dashboard on.
//
//   npm run build && npm run bench:scrape [-- --rounds 3] [--idle 20] [--only budget,10k,30k]
//
// Each label set gets two calls (a streamed one with usage and time to first token, and a rate-limited one),
// so it has every series a busy label set has. Label sets are 200 models × 50 teams × 3 operations, in order.
//
// In this process: the median time of prom-client's `registry.metrics()` and of the `PrometheusTextRenderer` the
// proxy's `/metrics` uses (the same text), after a call changed one series and when nothing changed, rounds
// interleaved; the longest single metric (the longest event-loop pause of the proxy's `/metrics`, which yields
// between metrics), and the median time of a dashboard sample when a call changed the metrics (a full read) and
// when nothing did (no read).
// In a child process per case, a real proxy with its dashboard on (a sample every 5 s): `/metrics` fetched over
// HTTP, then the CPU time the process spends over `--idle` seconds with no traffic.
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fillLabelSets } from './lib/label-sets.mjs';
import { median, timed } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    worker: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    idle: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});

const CASES = [
  { name: 'budget', title: 'default budget (2,000), 30,000 offered', offered: 30_000, series: undefined },
  { name: '10k', title: '10,000 label sets, no budget', offered: 10_000, series: 1_000_000 },
  { name: '30k', title: '30,000 label sets, no budget', offered: 30_000, series: 1_000_000 },
];
const usage = { input: 1200, output: 300, cachedInput: 400, cacheWrite: 0, reasoning: 0 };
const fill = fillLabelSets;

const limitsOf = (one) => (one.series === undefined ? {} : { series: one.series });

// ---- in this process ---------------------------------------------------------------------------------------

async function inProcess(one, rounds) {
  const { createMeter, PrometheusTextRenderer } = await import('@llmeter/core');
  const { MetricsHistory } = await import('@llmeter/dashboard');
  const { Registry } = await import('prom-client');
  const registry = new Registry();
  const meter = createMeter({ registry, labelNames: ['team'], limits: limitsOf(one) });
  // The dashboard's history from the start, as in the proxy: its sample after the calls holds all of them.
  const history = new MetricsHistory(registry);
  let at = Date.now();
  await history.sample(at);
  fill(meter, one.offered);
  at += 5000;
  const { ms: firstSampleMs } = await timed(() => history.sample(at));

  const renderer = new PrometheusTextRenderer(registry);
  const oneCall = () =>
    meter.record({
      provider: 'openai',
      operation: 'chat',
      model: 'model-1',
      labels: { team: 'team-1' },
      stream: false,
      startedAt: 0,
      endedAt: 400,
      usage,
      usageSource: 'reported',
    });
  await registry.metrics(); // warm-up
  await renderer.render();
  const renders = [];
  const rendererBusy = [];
  const rendererIdle = [];
  let text = '';
  for (let round = 0; round < rounds; round++) {
    oneCall();
    const { ms, result } = await timed(() => registry.metrics());
    renders.push(ms);
    text = result;
    oneCall();
    // What the proxy's /metrics writes: the encoded pieces (the same bytes as registry.metrics()).
    const rendered = await timed(() => renderer.renderBuffers());
    rendererBusy.push(rendered.ms);
    rendererIdle.push((await timed(() => renderer.renderBuffers())).ms);
    if (Buffer.concat(rendered.result).toString() !== (await registry.metrics())) {
      throw new Error('the renderer and prom-client differ');
    }
  }
  let longestMetric = 0;
  let longestRendered = 0;
  oneCall();
  for (const metric of registry.getMetricsAsArray()) {
    const { ms } = await timed(() => registry.getSingleMetricAsString(metric.name));
    longestMetric = Math.max(longestMetric, ms);
  }
  for (const metric of registry.getMetricsAsArray()) {
    const { ms } = await timed(() => renderer.renderMetric(metric));
    longestRendered = Math.max(longestRendered, ms);
  }
  const labelSets = text.split('\n').filter((line) => line.startsWith('llm_requests_in_flight{')).length;

  const busy = [];
  const idle = [];
  for (let round = 0; round < rounds; round++) {
    meter.record({
      provider: 'openai',
      operation: 'chat',
      model: 'model-0',
      labels: { team: 'team-0' },
      stream: false,
      startedAt: 0,
      endedAt: 400,
      usage,
      usageSource: 'reported',
    });
    at += 5000;
    busy.push((await timed(() => history.sample(at))).ms);
  }
  for (let round = 0; round < rounds; round++) {
    at += 5000;
    idle.push((await timed(() => history.sample(at))).ms);
  }
  // A call's cost as label sets grow: always the same label set, and 8,000 combinations in turn (models 40 to
  // 199 × 50 teams: past the budget, each one folded, a map lookup and nothing stored).
  const perCall = (modelOf, teamOf) => {
    const calls = 50_000;
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
      meter.record({
        provider: 'openai',
        operation: 'chat',
        model: modelOf(i),
        labels: { team: teamOf(i) },
        stream: false,
        startedAt: 0,
        endedAt: 400,
        usage,
        usageSource: 'reported',
      });
    }
    return ((performance.now() - started) * 1000) / calls;
  };
  const sameCallUs = median(
    [0, 1, 2].map(() =>
      perCall(
        () => 'model-1',
        () => 'team-1',
      ),
    ),
  );
  const manyCallUs = median(
    [0, 1, 2].map(() =>
      perCall(
        (i) => `model-${40 + (i % 160)}`,
        (i) => `team-${Math.floor(i / 160) % 50}`,
      ),
    ),
  );

  return {
    sameCallUs,
    manyCallUs,
    labelSets,
    lines: text.split('\n').length - 1,
    megabytes: Buffer.byteLength(text) / 1e6,
    renderMs: median(renders),
    rendererBusyMs: median(rendererBusy),
    rendererIdleMs: median(rendererIdle),
    longestMetricMs: longestMetric,
    longestRenderedMs: longestRendered,
    sampleBusyMs: median(busy),
    sampleIdleMs: median(idle),
    firstSampleMs,
    historyMb: (history.ringCount * history.capacity * 4) / 1e6,
  };
}

// ---- a proxy in a child process -------------------------------------------------------------------------------

async function runWorker(name) {
  const one = CASES.find((candidate) => candidate.name === name);
  const { startProxy } = await import('@llmeter/proxy');
  // The upstream is never called: the calls are recorded on the proxy's own meter, as its traffic would be.
  const proxy = await startProxy({
    port: 0,
    logLevel: 'silent',
    upstreams: { openai: 'http://127.0.0.1:9' },
    labelHeaders: ['team'],
    limits: limitsOf(one),
  });
  fill(proxy.meter, one.offered);
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      const { rss, heapUsed } = process.memoryUsage();
      process.send({ cpuMs: (user + system) / 1000, rssMb: rss / 1e6, heapMb: heapUsed / 1e6 });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ url: proxy.url });
}

function startWorker(name) {
  const child = fork(new URL(import.meta.url), ['--worker', name], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    child.once('message', ({ url }) => {
      const usage = () =>
        new Promise((done) => {
          child.once('message', done);
          child.send('cpu');
        });
      resolve({ url, usage, stop: () => child.disconnect() });
    });
  });
}

async function inProxy(one, rounds, idleSeconds) {
  const worker = await startWorker(one.name);
  try {
    const scrapes = [];
    let bytes = 0;
    for (let round = 0; round < rounds + 1; round++) {
      const { ms, result } = await timed(async () => (await fetch(`${worker.url}/metrics`)).arrayBuffer());
      if (round > 0) scrapes.push(ms); // the first one warms up
      bytes = result.byteLength;
    }
    // Past the dashboard's first sample after the calls (every 5 s): from here on, nothing changes.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const before = await worker.usage();
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const after = await worker.usage();
    return {
      scrapeMs: median(scrapes),
      scrapeMb: bytes / 1e6,
      idleCpuMs: after.cpuMs - before.cpuMs,
      rssMb: after.rssMb,
      heapMb: after.heapMb,
    };
  } finally {
    worker.stop();
  }
}

// ---- report ------------------------------------------------------------------------------------------------

async function main() {
  const rounds = Number(values.rounds);
  const idleSeconds = Number(values.idle);
  const only = values.only?.split(',');
  const cases = CASES.filter((one) => !only || only.includes(one.name));
  const rows = [];
  for (const one of cases) {
    const local = await inProcess(one, rounds);
    const proxied = await inProxy(one, rounds, idleSeconds);
    rows.push({ one, local, proxied });
  }
  const fixed = (value, digits = 0) => value.toFixed(digits);
  const table = [
    ['', ...rows.map(({ one }) => one.title)],
    ['label sets in /metrics', ...rows.map(({ local }) => String(local.labelSets))],
    ['/metrics lines', ...rows.map(({ local }) => String(local.lines))],
    ['/metrics size (MB)', ...rows.map(({ local }) => fixed(local.megabytes, 1))],
    ["prom-client's registry.metrics() (ms, median)", ...rows.map(({ local }) => fixed(local.renderMs))],
    [
      'PrometheusTextRenderer (bytes), after a call (ms, median)',
      ...rows.map(({ local }) => fixed(local.rendererBusyMs)),
    ],
    [
      'PrometheusTextRenderer (bytes), nothing changed (ms, median)',
      ...rows.map(({ local }) => fixed(local.rendererIdleMs)),
    ],
    ['longest metric, prom-client (ms)', ...rows.map(({ local }) => fixed(local.longestMetricMs))],
    [
      'longest metric, renderer = longest pause of /metrics (ms)',
      ...rows.map(({ local }) => fixed(local.longestRenderedMs)),
    ],
    ['GET /metrics on the proxy (ms, median)', ...rows.map(({ proxied }) => fixed(proxied.scrapeMs))],
    ['dashboard sample, the first after the calls (ms)', ...rows.map(({ local }) => fixed(local.firstSampleMs))],
    ['dashboard sample, after a call (ms)', ...rows.map(({ local }) => fixed(local.sampleBusyMs, 1))],
    ['dashboard sample, nothing changed (ms)', ...rows.map(({ local }) => fixed(local.sampleIdleMs, 2))],
    [
      `proxy idle CPU over ${idleSeconds} s, dashboard on (ms, % of a core)`,
      ...rows.map(
        ({ proxied }) =>
          `${fixed(proxied.idleCpuMs)} (${((proxied.idleCpuMs / (idleSeconds * 1000)) * 100).toFixed(2)} %)`,
      ),
    ],
    [
      '  (a full read every 5 s instead, ms)',
      ...rows.map(({ local }) => fixed((local.sampleBusyMs * idleSeconds) / 5)),
    ],
    ['recording a call, one label set (µs)', ...rows.map(({ local }) => fixed(local.sameCallUs, 2))],
    ['recording a call, 8,000 label sets in turn (µs)', ...rows.map(({ local }) => fixed(local.manyCallUs, 2))],
    ['dashboard history ring buffers (MB)', ...rows.map(({ local }) => fixed(local.historyMb))],
    [
      'proxy RSS / V8 heap used (MB)',
      ...rows.map(({ proxied }) => `${fixed(proxied.rssMb)} / ${fixed(proxied.heapMb)}`),
    ],
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  for (const row of table) {
    console.log(
      row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]))).join('  '),
    );
  }
  console.log(`\nnode ${process.version}, ${rounds} rounds; times are medians, wall-clock in this process.`);
}

if (values.worker) await runWorker(values.worker);
else await main();
