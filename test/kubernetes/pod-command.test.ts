import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readConfigFile } from '@llmeter/proxy/config';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freeLoopbackPort } from '../deploy/tools.js';
import { CONFIG_FILE, KUBERNETES_DIR, loadManifests, only, ROOT } from './manifests.js';
import { LLMETER_BIN } from './proxy-help.js';

// The proxy container as the Deployment describes it, run for real on this machine: its arguments, its
// environment (the config file the ConfigMap holds, a token as the Secret gives it), its probes and the
// PodMonitor's scrape, then a SIGTERM with a call in flight, timed against the pod's grace period. Two changes
// keep it on 127.0.0.1: --host and --port are replaced, and --upstream points the default route at a local
// upstream that never answers (flags win over the config file; the rest of the file applies as is).

const deployment = only(loadManifests(), 'Deployment', Deployment);
const podSpec = deployment.spec?.template.spec;
const container = podSpec?.containers[0];
const TOKEN = randomBytes(16).toString('hex');

/** The container's args with the listening address moved to loopback and the default route to `upstream`. */
function localArgs(port: number, upstream: string): string[] {
  const args = [...(container?.args ?? [])];
  const replace = (flag: string, value: string) => {
    const at = args.indexOf(flag);
    if (at === -1 || at + 1 >= args.length) throw new Error(`the container's args have no ${flag} VALUE`);
    args[at + 1] = value;
  };
  replace('--host', '127.0.0.1');
  replace('--port', String(port));
  return [...args, '--upstream', `openai=${upstream}`];
}

/** The container's environment, each Secret reference given the value the Secret would hold. */
function podEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container?.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef?.key === 'token') env[variable.name] = TOKEN;
    else throw new Error(`no value for ${variable.name}`);
  }
  return env;
}

describe('the Deployment container, run as a process', () => {
  let upstream: Server;
  const held: ServerResponse[] = [];
  let received: (request: IncomingMessage) => void = () => undefined;
  let child: ChildProcess | undefined;
  let proxyUrl = '';
  let log = '';
  let exited: Promise<{ code: number | null; at: number }>;

  beforeAll(async () => {
    // An upstream that takes every call and never answers: the call stays in flight until the proxy cuts it.
    upstream = createServer((request, response) => {
      held.push(response);
      received(request);
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    const port = await freeLoopbackPort();
    proxyUrl = `http://127.0.0.1:${port}`;
    const env = podEnvironment();
    // The pod's mount holds the ConfigMap's one file: here, the file it is generated from.
    expect(env.LLMETER_CONFIG).toBe(`/etc/llmeter/${CONFIG_FILE}`);
    env.LLMETER_CONFIG = join(KUBERNETES_DIR, CONFIG_FILE);
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LLMETER_')));
    child = spawn(process.execPath, [LLMETER_BIN, ...localArgs(port, upstreamUrl)], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const started = child;
    exited = new Promise((done) => started.once('exit', (code) => done({ code, at: Date.now() })));
    // Never left behind, even when the test process ends without afterAll.
    const killOnExit = () => started.kill('SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.off('exit', killOnExit));

    // The kubelet's readiness probe, until it passes.
    const deadline = Date.now() + 20_000;
    while (!(await healthz().then((status) => status === 200))) {
      if (child.exitCode !== null) throw new Error(`the proxy exited (${child.exitCode}):\n${log}`);
      if (Date.now() > deadline) throw new Error(`the proxy was not ready after 20 s:\n${log}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const response of held) response.destroy();
    upstream?.closeAllConnections();
    await new Promise((done) => upstream?.close(done));
  });

  /** GET /healthz as the probes do (their path): the status, or `refused` when nothing answers. */
  function healthz(): Promise<number | 'refused'> {
    const path = container?.readinessProbe?.httpGet?.path ?? '';
    return fetch(`${proxyUrl}${path}`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status,
      () => 'refused' as const,
    );
  }

  test('starts from the config file and answers the probes and the PodMonitor scrape with the token', async () => {
    expect(await healthz()).toBe(200);
    const listening = log.split('\n').find((line) => line.includes('llmeter proxy listening')) ?? '';
    expect(JSON.parse(listening).upstreams).toEqual({ openai: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/) });
    const metricsPath = '/metrics';
    const scraped = await fetch(`${proxyUrl}${metricsPath}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE llm_requests_total counter');
    expect((await fetch(`${proxyUrl}${metricsPath}`)).status).toBe(401);
  });

  test('SIGTERM with a call in flight: not ready at once, exits 0 within the grace period left after preStop', async () => {
    const arrived = new Promise<void>((done) => {
      received = () => done();
    });
    const call = fetch(`${proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hold' }] }),
      signal: AbortSignal.timeout(30_000),
    }).then(
      (response) => response.status,
      () => 'cut' as const,
    );
    await arrived;

    const stoppedAt = Date.now();
    child?.kill('SIGTERM');
    // Not ready within a probe period: a stopping proxy answers 503, or no longer accepts connections.
    let status = await healthz();
    while (status === 200 && Date.now() - stoppedAt < 2000) status = await healthz();
    expect(status).not.toBe(200);

    const { code, at } = await exited;
    const stoppingMs = at - stoppedAt;
    const shutdownMs = 10_000;
    const settings = readConfigFile(join(KUBERNETES_DIR, CONFIG_FILE)).settings as { timeouts?: object };
    expect(settings.timeouts).toMatchObject({ shutdownMs });
    const preStopSeconds = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
    const graceSeconds = podSpec?.terminationGracePeriodSeconds ?? 30;
    expect(code, log).toBe(0);
    // It waited for the call (the shutdown budget), then cut it and exited, long before the kubelet's SIGKILL.
    expect(stoppingMs).toBeGreaterThanOrEqual(shutdownMs - 50);
    expect(stoppingMs).toBeLessThan((graceSeconds - preStopSeconds) * 1000 - 5000);
    expect(await call).not.toBe(200);
    expect(log).toContain('llmeter proxy stopped');
  }, 40_000);
});
