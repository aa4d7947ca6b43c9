// The proxies the benchmark compares, each its own process on 127.0.0.1 in front of the same fake upstream:
// a bare `http-proxy` (the floor), nginx when Debian's is installed, `@portkey-ai/gateway` (a peer) and llmeter.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROXY_NODE_OPTIONS } from '@llmeter/proxy/node-options';

const NGINX = '/usr/sbin/nginx';
const WORKER = fileURLToPath(new URL('./proxy-worker.mjs', import.meta.url));

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export function startNodeProxy(kind, upstream, extraHeaders = {}) {
  // llmeter runs with the Node options `llmeter proxy` starts it with.
  const execArgv = kind === 'llmeter' ? [...PROXY_NODE_OPTIONS] : [];
  const child = fork(WORKER, [kind, upstream], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before listening`)));
    child.once('message', ({ port }) => {
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        headers: extraHeaders,
        /**
         * Resolves to the worker's V8 heap in bytes: `{ total, used }`, or after a full collection (`afterGc`)
         * `{ used, arrayBuffers }`.
         */
        heap: (afterGc = false) =>
          new Promise((done) => {
            const reply = (message) => {
              if (message?.heap === undefined) return;
              child.off('message', reply);
              done(message.heap);
            };
            child.on('message', reply);
            child.send(afterGc ? 'heap-after-gc' : 'heap');
          }),
        stop: () => child.disconnect(),
      });
    });
  });
}

async function startNginx(upstream) {
  const prefix = mkdtempSync(join(tmpdir(), 'llmeter-bench-nginx-'));
  const port = await freePort();
  const upstreamHost = new URL(upstream).host;
  // One process (no master), no access log, keep-alive to the upstream, no buffering: the cheapest faithful hop.
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream fake { server ${upstreamHost}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(prefix, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return { url: `http://127.0.0.1:${port}`, pid: child.pid, headers: {}, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop();
  throw new Error(`nginx did not start on ${port}`);
}

/**
 * Starts every proxy in front of `upstream`; resolves to `[{ name, floor, url, pid, headers, stop }]`, the floor
 * first. nginx is left out (and said so in `skipped`) when it is not installed.
 */
export async function startProxyContenders(upstream) {
  const contenders = [{ name: 'bare http-proxy', floor: true, ...(await startNodeProxy('bare', upstream)) }];
  const skipped = [];
  if (existsSync(NGINX)) contenders.push({ name: 'nginx', ...(await startNginx(upstream)) });
  else skipped.push(`nginx (${NGINX} not installed)`);
  contenders.push({
    name: 'portkey gateway',
    ...(await startNodeProxy('portkey', upstream, {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream}/v1`,
    })),
  });
  contenders.push({ name: 'llmeter proxy', ...(await startNodeProxy('llmeter', upstream)) });
  return { contenders, skipped };
}
