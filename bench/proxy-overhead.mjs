// Proxy overhead: CPU per request of the proxy process, and added time to first byte, for llmeter's proxy side
// by side with a bare http-proxy in the same run.
//
//   npm run build && node bench/proxy-overhead.mjs [--rounds 5] [--json 2000] [--sse 200] [--chunks 200] [--only CASE|ttfb] [--ttfb 200] [--pin]
//
// Each proxy runs in a child process of its own (this same file, with --worker), so its process.cpuUsage()
// counts the proxy alone; the upstream and the load generator run here. Both proxies keep upstream
// connections alive. llmeter logs one line per call at info level (to /dev/null here).
import { execFileSync, fork } from 'node:child_process';
import { Agent, createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { PROXY_NODE_OPTIONS } from '@llmeter/proxy/node-options';
import { startFakeUpstream } from './lib/fake-upstream.mjs';
import { call, closeLoad, load } from './lib/http-load.mjs';
import { installInProxyTimes } from './lib/in-proxy-times.mjs';
import { median, shuffler } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    worker: { type: 'string' },
    upstream: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'string', default: '2000' },
    sse: { type: 'string', default: '200' },
    chunks: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    // Writes a V8 CPU profile of each proxy process into this directory (for finding where the time goes).
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    // Sequential requests per contender for the time-to-first-byte figures; `--only ttfb` measures only those, and
    // then also each proxy's own time on them, read inside its process (lib/in-proxy-times.mjs).
    ttfb: { type: 'string', default: '200' },
    // Linux: the load client and the upstream on the first CPU, every proxy on the second (taskset), so that a
    // proxy's times are not mixed with where the scheduler put it.
    pin: { type: 'boolean', default: false },
    'in-proxy': { type: 'boolean', default: false },
  },
});

// ---- proxy child processes ---------------------------------------------------------------------------------

async function runWorker(kind, upstream) {
  const inProxy = values['in-proxy'] ? installInProxyTimes() : undefined;
  let port;
  if (kind === 'bare') {
    const { default: httpProxy } = await import('http-proxy');
    const proxy = httpProxy.createProxyServer({ target: upstream, agent: new Agent({ keepAlive: true }) });
    proxy.on('error', (_error, _req, res) => {
      res.writeHead?.(502);
      res.end();
    });
    const server = createServer((req, res) => proxy.web(req, res));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  } else {
    // LLMETER_BENCH_BEFORE: a module exporting another build's startProxy, measured as kind `before` (A/B runs);
    // LLMETER_BENCH_AFTER: one for the `llmeter` kind instead of this checkout's build. Which of the two slots a
    // build runs in moves its first-byte figures by up to 20 µs, so an A/B runs twice, the builds swapped.
    const own = process.env.LLMETER_BENCH_AFTER ?? '@llmeter/proxy';
    const { startProxy } = await import(kind === 'before' ? process.env.LLMETER_BENCH_BEFORE : own);
    const streamUsage = kind === 'llmeter-passthrough' ? 'passthrough' : 'inject';
    const logLevel = values['log-level'];
    const proxy = await startProxy({ port: 0, upstreams: { openai: upstream }, streamUsage, logLevel });
    port = proxy.port;
  }
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system, rss: process.memoryUsage().rss });
    } else if (message === 'in-proxy') process.send(inProxy?.take() ?? { request: [], response: [] });
  });
  // A worker never outlives the benchmark.
  process.on('disconnect', () => process.exit(0));
  process.send({ port });
}

function startWorker(kind, upstream) {
  const profile = values['cpu-prof'];
  const args = ['--worker', kind, '--upstream', upstream, '--log-level', values['log-level']];
  if (values.only === 'ttfb') args.push('--in-proxy');
  const child = fork(new URL(import.meta.url), args, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [
      // llmeter runs with the Node options `llmeter proxy` starts it with (a smaller young generation); the bare
      // proxy with Node's defaults (the same options leave its figures as they are).
      ...(kind === 'bare' ? [] : PROXY_NODE_OPTIONS),
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${kind}.cpuprofile`] : []),
    ],
  });
  return new Promise((resolve) => {
    child.once('message', ({ port }) => {
      if (values.pin) pin(child.pid, 1);
      const ask = (question) =>
        new Promise((done) => {
          child.once('message', (reply) => done(reply));
          child.send(question);
        });
      const cpu = () => ask('cpu');
      const inProxy = () => ask('in-proxy');
      // SIGTERM lets a profiled worker write its profile; a worker also exits when the benchmark disconnects.
      resolve({ url: `http://127.0.0.1:${port}`, cpu, inProxy, stop: () => child.disconnect() });
    });
  });
}

/** Pins every thread of process `pid` to CPU `cpu` (Linux's taskset). */
function pin(pid, cpu) {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** CPU per request of each worker, medians of rounds interleaved across the workers (so drift hits each alike). */
async function cpuPerRequest(workers, body, count, concurrency, rounds, path) {
  // Warm-up: JIT, pooled connections, prices.
  for (const worker of workers) await load(worker.url, body, Math.min(count, 200), concurrency, {}, path);
  const samples = workers.map(() => []);
  // In a new order each round, so that none always runs right after the same other one.
  const order = shuffler([...workers.keys()], 2);
  for (let round = 0; round < rounds; round++) {
    for (const index of order()) {
      const worker = workers[index];
      const before = await worker.cpu();
      await load(worker.url, body, count, concurrency, {}, path);
      const after = await worker.cpu();
      samples[index].push((after.cpu - before.cpu) / count);
    }
  }
  return samples.map(median);
}

async function main() {
  if (values.pin) pin(process.pid, 0);
  const rounds = Number(values.rounds);
  const jsonCount = Number(values.json);
  const sseCount = Number(values.sse);
  const chunks = Number(values.chunks);
  const concurrency = Number(values.concurrency);
  const upstream = await startFakeUpstream({ chunks });
  const upstreamUrl = upstream.url;
  const workers = {
    bare: await startWorker('bare', upstreamUrl),
    llmeter: await startWorker('llmeter', upstreamUrl),
    'llmeter-passthrough': await startWorker('llmeter-passthrough', upstreamUrl),
  };
  const before = process.env.LLMETER_BENCH_BEFORE;
  if (before) workers.before = await startWorker('before', upstreamUrl);
  const mainKinds = before ? ['bare', 'before', 'llmeter'] : ['bare', 'llmeter'];
  const messages = [{ role: 'user', content: 'Say hello' }];
  const jsonBody = { model: 'gpt-4o', messages };
  const sseAsked = { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } };
  const sseInject = { model: 'gpt-4o', messages, stream: true };

  const rows = [];
  const measure = async (name, body, count, kinds, path) => {
    if (values.only && !name.toLowerCase().includes(values.only.toLowerCase())) return;
    const row = { case: name };
    const medians = await cpuPerRequest(
      kinds.map((kind) => workers[kind]),
      body,
      count,
      concurrency,
      rounds,
      path,
    );
    for (const [index, kind] of kinds.entries()) row[kind] = medians[index];
    rows.push(row);
  };
  await measure('JSON chat', jsonBody, jsonCount, mainKinds);
  await measure(`SSE ${chunks} chunks, client asked usage`, sseAsked, sseCount, mainKinds);
  await measure(`SSE ${chunks} chunks, usage injected`, sseInject, sseCount, mainKinds);
  // The upstream writes every event in one turn (see fake-upstream.mjs): many events per chunk.
  await measure(`SSE ${chunks} burst, client asked usage`, { ...sseAsked, user: 'burst' }, sseCount, mainKinds);
  await measure(`SSE ${chunks} burst, usage injected`, { ...sseInject, user: 'burst' }, sseCount, mainKinds);
  // Anthropic Messages streams (`event:` and `data:` lines per event, usage in message_start/message_delta).
  const anthropic = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages, stream: true };
  await measure(`Anthropic SSE ${chunks} chunks`, anthropic, sseCount, mainKinds, '/v1/messages');
  await measure(
    `Anthropic SSE ${chunks} all-at-once`,
    { ...anthropic, user: 'burst' },
    sseCount,
    mainKinds,
    '/v1/messages',
  );
  await measure(`SSE ${chunks} chunks, --stream-usage passthrough`, sseInject, sseCount, [
    'bare',
    'llmeter-passthrough',
  ]);

  console.log(`CPU of the proxy process per request, µs (median of ${rounds} rounds, concurrency ${concurrency})`);
  console.log('case'.padEnd(48), 'bare http-proxy'.padStart(16), 'llmeter'.padStart(10), 'ratio'.padStart(7));
  for (const row of rows) {
    const mine = row.llmeter ?? row['llmeter-passthrough'];
    console.log(
      row.case.padEnd(48),
      row.bare.toFixed(0).padStart(16),
      mine.toFixed(0).padStart(10),
      `${(mine / row.bare).toFixed(2)}×`.padStart(7),
      row.before === undefined ? '' : `  before ${row.before.toFixed(0)} (${(row.before / row.bare).toFixed(2)}×)`,
    );
  }

  if (values.only && values.only !== 'ttfb') {
    for (const worker of Object.values(workers)) worker.stop();
    closeLoad();
    upstream.close();
    return;
  }
  // Added time to first byte of a stream: one request at a time, direct vs through each proxy, interleaved
  // request by request (so drift hits each alike), for each stream kind.
  const targets = [
    ['direct', upstreamUrl],
    ['bare', workers.bare.url],
    ...(workers.before ? [['before', workers.before.url]] : []),
    ['llmeter', workers.llmeter.url],
  ];
  const ttfbCount = Number(values.ttfb);
  console.log(`\nTime to first byte of a stream, ms (median of ${ttfbCount} sequential requests, interleaved)`);
  console.log(
    'added over direct; request: until the upstream has the request, response: from its answer to the first byte',
  );
  if (values.only === 'ttfb') {
    console.log(
      'in the proxy: request, from its head parsed to its first write upstream; response, from the upstream read\n' +
        "that brought the response's first bytes to their write to the client (read inside each proxy's process)",
    );
  }
  for (const [label, body] of [
    ['asked, spaced', sseAsked],
    ['injected, spaced', sseInject],
    ['asked, paced', { ...sseAsked, user: 'paced' }],
    ['injected, paced', { ...sseInject, user: 'paced' }],
    ['asked, burst', { ...sseAsked, user: 'burst' }],
    ['injected, burst', { ...sseInject, user: 'burst' }],
    ['JSON', jsonBody],
  ]) {
    const samples = new Map(targets.map(([name]) => [name, []]));
    // Where each request's time went (see `call`): to the upstream, and from its answer back.
    const halves = new Map(targets.map(([name]) => [name, { request: [], response: [] }]));
    for (let i = 0; i < 20; i++) for (const [, base] of targets) await call(base, body);
    const inProxyWorkers = targets.slice(1).map(([name]) => [name, workers[name]]);
    if (values.only === 'ttfb') for (const [, worker] of inProxyWorkers) await worker.inProxy(); // the warm-up's
    const order = shuffler(targets);
    for (let i = 0; i < ttfbCount; i++) {
      // In a new order each round: a request pays for what the one before it left running (a proxy's work after
      // its response), and with a fixed rotation each target would mostly follow the same one.
      for (const [name, base] of order()) {
        const half = {};
        samples.get(name).push(await call(base, body, {}, undefined, half));
        halves.get(name).request.push(half.request);
        halves.get(name).response.push(half.response);
      }
    }
    const direct = median(samples.get('direct'));
    const directHalves = halves.get('direct');
    const added = targets
      .slice(1)
      // p90 too: under contention (2 cores, spaced streams) the figures are bimodal and a median hides it.
      .map(([name]) => {
        const sorted = samples.get(name).sort((a, b) => a - b);
        const p90 = sorted[Math.floor(0.9 * (sorted.length - 1))] - direct;
        const request = median(halves.get(name).request) - median(directHalves.request);
        const response = median(halves.get(name).response) - median(directHalves.response);
        const split = `request +${request.toFixed(3)}, response +${response.toFixed(3)}`;
        return `${name} +${(median(sorted) - direct).toFixed(3)} (p90 +${p90.toFixed(3)}; ${split})`;
      })
      .join('   ');
    console.log(`${label.padEnd(18)} direct ${direct.toFixed(3)}   ${added}`);
    if (values.only === 'ttfb') {
      const own = [];
      for (const [name, worker] of inProxyWorkers) {
        const { request, response } = await worker.inProxy();
        const micros = (samples) => (median(samples) * 1000).toFixed(1);
        own.push(`${name} request ${micros(request)}, response ${micros(response)}`);
      }
      console.log(`${''.padEnd(18)} in the proxy, µs: ${own.join('   ')}`);
    }
  }
  const rss = async (worker) => `${((await worker.cpu()).rss / 1048576).toFixed(0)} MB`;
  console.log(`\nRSS after the run: bare http-proxy ${await rss(workers.bare)}, llmeter ${await rss(workers.llmeter)}`);

  for (const worker of Object.values(workers)) worker.stop();
  closeLoad();
  upstream.close();
}

if (values.worker) await runWorker(values.worker, values.upstream);
else await main();
