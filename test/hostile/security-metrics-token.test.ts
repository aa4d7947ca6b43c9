import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { proxyCommand, proxySettings } from '../../apps/cli/src/proxy-command.js';
import { captureLog } from '../support/captured-log.js';

// An exposed proxy without a token must say so at start; an empty token must never mean "no authentication";
// a token can come from a file, out of sight of `ps`.

let simulator: Simulator;
let dir: string;
beforeAll(async () => {
  simulator = await startSimulator();
  dir = await mkdtemp(join(tmpdir(), 'llmeter-token-'));
});
afterAll(async () => {
  await simulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('listening beyond this machine without a token', () => {
  test('logs a warning at start that names the address and the risk', async () => {
    const { logger, records } = captureLog('info');
    // Listens on every interface for the length of the test; nothing connects to it.
    const proxy = await startProxy({
      host: '0.0.0.0',
      port: 0,
      logger,
      registry: new Registry(),
      upstreams: { openai: simulator.url },
    });
    await proxy.close();
    const lines = records();
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        host: '0.0.0.0',
        port: proxy.port,
        msg:
          'listening on 0.0.0.0, which other machines can reach, without a metrics token: anyone who can reach ' +
          'this port can read /metrics and the dashboard (models, labels, token counts, spend). Set a token with ' +
          '--metrics-token-file (or LLMETER_METRICS_TOKEN_FILE, or metricsTokenFile in the config file), or ' +
          'listen on 127.0.0.1',
      }),
    ]);
    // Right after the "listening" line, where an operator looks.
    const listening = lines.findIndex((line) => line.msg === 'llmeter proxy listening');
    expect(lines[listening + 1]?.level).toBe(40);
  });

  test('says nothing on loopback, or with a token', async () => {
    for (const options of [{ host: '127.0.0.1' }, { host: '0.0.0.0', metricsToken: 'tok' }]) {
      const { logger, records } = captureLog('info');
      const proxy = await startProxy({
        ...options,
        port: 0,
        logger,
        registry: new Registry(),
        upstreams: { openai: simulator.url },
      });
      await proxy.close();
      expect(records().filter((line) => line.level === 40)).toEqual([]);
    }
  });
});

describe('the token', () => {
  test('an empty LLMETER_METRICS_TOKEN stops `llmeter proxy` with status 2 before it listens', async () => {
    let stderr = '';
    let stdout = '';
    // Should it start after all, a SIGTERM 2 s later stops it, and the status says what happened.
    const signals = new EventEmitter();
    const timer = setTimeout(() => signals.emit('SIGTERM', 'SIGTERM'), 2000);
    const status = await proxyCommand.execute(['--port', '0', '--log-level', 'silent'], {
      env: { LLMETER_METRICS_TOKEN: '' },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      signals,
    });
    clearTimeout(timer);
    expect(status).toBe(2);
    expect(stderr).toBe(
      'llmeter proxy: LLMETER_METRICS_TOKEN must not be empty (an empty token would turn authentication off; ' +
        'leave it unset for none)\nRun "llmeter proxy --help" for usage.\n',
    );
    expect(stdout).toBe('');
  });

  test('from --metrics-token-file, it guards /metrics like one given on the command line', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'file-token-123\n');
    const parsed = proxyCommand.parse(['--metrics-token-file', tokenFile, '--port', '0'], {});
    if (parsed.help) throw new Error('asked for help');
    const { logger } = captureLog('info');
    const proxy = await startProxy({
      ...proxySettings(parsed),
      upstreams: { openai: simulator.url },
      logger,
      registry: new Registry(),
    });
    try {
      expect((await fetch(`${proxy.url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${proxy.url}/metrics`, { headers: { authorization: 'Bearer file-token-12' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${proxy.url}/metrics`, { headers: { authorization: 'Bearer file-token-123' } });
      expect(right.status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});
