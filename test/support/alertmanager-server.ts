import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../deploy/tools.js';
import { startServerProcess } from './server-process.js';

/** An Alertmanager started for a test. */
export interface AlertmanagerServer {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `host:port`, as a Prometheus `alerting` target. */
  readonly address: string;
  /** Its log so far (notification failures show here). */
  log(): string;
  /** Stops it and deletes its config and storage. */
  stop(): Promise<void>;
}

/**
 * Starts a real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port with `config` as its
 * alertmanager.yml, a throwaway storage directory and clustering off (a lone test instance must not gossip or wait
 * for peers before it notifies).
 */
export async function startAlertmanager(
  config: string,
  binary = '/usr/bin/prometheus-alertmanager',
): Promise<AlertmanagerServer> {
  const dir = await mkdtemp(join(tmpdir(), 'llmeter-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, config);
  const port = await freeLoopbackPort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  try {
    const server = await startServerProcess({
      name: 'alertmanager',
      command: binary,
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=${address}`,
        '--cluster.listen-address=',
        '--log.level=info',
      ],
      isReady: async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok,
    });
    return {
      url,
      address,
      log: server.log,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
