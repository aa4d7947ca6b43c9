// One proxy under test, in a process of its own so that its CPU time is its own (read from /proc by the parent).
//   node bench/lib/proxy-worker.mjs <bare|llmeter|llmeter-filled|portkey> <upstream url>
// Sends `{ port }` over IPC once listening, `{ heap }` when sent 'heap' or 'heap-after-gc'; exits when the parent
// disconnects.
import { Agent, createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const [kind, upstream] = process.argv.slice(2);

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function listening(port) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${kind} did not listen on ${port}`);
}

async function start() {
  if (kind === 'bare') {
    const { default: httpProxy } = await import('http-proxy');
    const proxy = httpProxy.createProxyServer({ target: upstream, agent: new Agent({ keepAlive: true }) });
    proxy.on('error', (_error, _req, res) => {
      res.writeHead?.(502);
      res.end();
    });
    const server = createServer((req, res) => proxy.web(req, res));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server.address().port;
  }
  if (kind === 'llmeter') {
    const { startProxy } = await import('@llmeter/proxy');
    // Defaults otherwise: include_usage injected, a log line per call at info level (stdout is /dev/null here).
    const proxy = await startProxy({ port: 0, upstreams: { openai: upstream } });
    return proxy.port;
  }
  if (kind === 'llmeter-filled') {
    // The scrape benchmark's proxy: labelled by a header, offered 30,000 label sets against the default series
    // budget (recorded on its meter, as its traffic would), dashboard on as by default.
    const { startProxy } = await import('@llmeter/proxy');
    const { fillLabelSets } = await import('./label-sets.mjs');
    const proxy = await startProxy({ port: 0, upstreams: { openai: upstream }, labelHeaders: ['team'] });
    fillLabelSets(proxy.meter, 30_000);
    return proxy.port;
  }
  if (kind === 'portkey') {
    // The gateway's own Node server (its `start:node` script) reads its port from argv; the upstream is chosen
    // per request (x-portkey-custom-host), and 127.0.0.1 is a trusted custom host by default.
    // On Node 24, fetch() answers with immutable headers, which the gateway appends to ("TypeError: immutable"):
    // its fetch gets a copy of each response with mutable headers (a wrapper, no copy of the body).
    const nodeFetch = globalThis.fetch;
    globalThis.fetch = async (...args) => {
      const response = await nodeFetch(...args);
      return new Response(response.body, response);
    };
    const port = await freePort();
    process.argv.push(`--port=${port}`, '--headless');
    await import('@portkey-ai/gateway/build/start-server.js');
    await listening(port);
    return port;
  }
  throw new Error(`unknown proxy kind ${kind}`);
}

process.on('disconnect', () => process.exit(0));
// `heap`: what V8's heap holds and how much of it is used, in bytes (RSS that grew with the first but not the
// second is heap sizing, not data kept).
// `heap-after-gc`: the heap in use after a full collection (what is live), and the ArrayBuffers' memory.
process.on('message', (message) => {
  if (message === 'heap') {
    const { heapTotal, heapUsed } = process.memoryUsage();
    process.send({ heap: { total: heapTotal, used: heapUsed } });
  } else if (message === 'heap-after-gc') {
    setFlagsFromString('--expose-gc');
    runInNewContext('gc')();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    process.send({ heap: { used: heapUsed, arrayBuffers } });
  }
});
process.send({ port: await start() });
