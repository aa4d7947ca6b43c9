// Proxy throughput with workers: requests per second through `llmeter proxy --workers 1` and `--workers 2`, and
// the proxy's CPU per request (primary and workers together), side by side in one run.
//
//   npm run build && npm run bench:workers -- [--rounds 3] [--requests 20000] [--concurrency 32]
//
// Each proxy is the real command (`llmeter proxy`, logging at info level to /dev/null). The upstream runs in a
// child process of its own and answers a small OpenAI chat completion with usage; the load generator runs here,
// on keep-alive connections (node:cluster hands connections, not requests, to the workers: there are more
// connections than workers). CPU is read from /proc for the proxy's whole process tree, so Linux only. All on
// 127.0.0.1; on a machine with few cores the upstream and the load generator take cores from the workers.
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'upstream-server': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
  },
});

const CLI = fileURLToPath(new URL('../apps/cli/bin/llmeter.js', import.meta.url));

// ---- the upstream (a child process) ---------------------------------------------------------------------------

const REPLY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
});

function startUpstream() {
  const child = fork(fileURLToPath(import.meta.url), ['--upstream-server'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve) =>
    child.once('message', ({ port }) => resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.disconnect() })),
  );
}

// ---- the proxy (the real command) ------------------------------------------------------------------------------

async function startProxy(workers, upstream) {
  const args = [CLI, 'proxy', '--port', '0', '--workers', String(workers), '--upstream', `openai=${upstream}`];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  const listening = new Set();
  let url;
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`llmeter proxy exited (${code}):\n${log}`)));
    child.stdout.on('data', (chunk) => {
      if (url !== undefined && listening.size >= workers) return; // then: info lines, read and dropped
      log += chunk.toString();
      for (const line of log.split('\n')) {
        if (!line.includes('"llmeter proxy listening"')) continue;
        const parsed = JSON.parse(line);
        listening.add(parsed.pid);
        url = parsed.url;
      }
      if (listening.size >= workers) resolve();
    });
  });
  child.stdout.resume();
  // A proxy never outlives the benchmark, even one that fails.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // With one worker the primary is the proxy itself: its pid is in `listening` already.
  const pids = [...new Set([...listening, child.pid])];
  return {
    url,
    /** CPU seconds used so far by the primary and its workers. */
    cpu: () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', resolve);
        process.off('exit', killOnExit);
        child.kill('SIGTERM');
      }),
  };
}

const TICKS = 100; // USER_HZ on Linux
function cpuSeconds(pid) {
  try {
    // Fields after the command name (in parentheses): utime and stime are the 14th and 15th of the line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

// ---- load ------------------------------------------------------------------------------------------------------

const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

function call(agent, url) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(BODY),
        authorization: 'Bearer sk-bench',
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

async function load(url, requests, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next += 1;
        await call(agent, url);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return seconds;
}

async function main() {
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const upstream = await startUpstream();
  const results = { 1: [], 2: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so that neither always runs first (warm caches, other load on the machine).
    for (const workers of round % 2 === 0 ? [1, 2] : [2, 1]) {
      const proxy = await startProxy(workers, upstream.url);
      await load(proxy.url, Math.min(2000, requests), concurrency); // warm-up
      const before = proxy.cpu();
      const seconds = await load(proxy.url, requests, concurrency);
      const cpu = proxy.cpu() - before;
      await proxy.stop();
      results[workers].push({ rps: requests / seconds, cpuPerRequestUs: (cpu / requests) * 1e6, cores: cpu / seconds });
    }
  }
  upstream.stop();
  const median = (list) => list.toSorted((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(
    `llmeter proxy --workers 1 vs 2: ${requests} non-streamed chat calls per round, ${concurrency} keep-alive ` +
      `connections, ${rounds} rounds (medians), ${availableParallelism()} cores, Node ${process.version}`,
  );
  console.log('workers   requests/s   proxy CPU per request   proxy cores busy');
  for (const workers of [1, 2]) {
    const list = results[workers];
    const rps = median(list.map((one) => one.rps));
    const cpu = median(list.map((one) => one.cpuPerRequestUs));
    const cores = median(list.map((one) => one.cores));
    console.log(
      `${String(workers).padStart(7)}   ${rps.toFixed(0).padStart(10)}   ${`${cpu.toFixed(0)} µs`.padStart(21)}   ${cores.toFixed(2).padStart(16)}`,
    );
  }
}

if (values['upstream-server']) {
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(REPLY));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}
