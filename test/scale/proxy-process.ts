import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The bin as npm links it, running the build (`npm test` builds before vitest).
const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = realpathSync(join(ROOT, 'node_modules/.bin/llmeter'));

/** One JSON log line of the proxy (pino). */
export interface LogLine {
  pid: number;
  msg: string;
  [field: string]: unknown;
}

/** An `llmeter proxy` process started by a test, with its log lines read as they come. */
export interface ProxyProcess {
  readonly pid: number;
  /** Every JSON log line so far, in order. */
  readonly lines: LogLine[];
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  /** Resolves with the first log line (already seen or to come) that `match` accepts. */
  waitForLine(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code once the process exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (or `signal`); SIGKILL after `killAfterMs`. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
}

/**
 * Starts `llmeter proxy ARGS` (with `env` added to this process's environment) and waits until `ready` lines
 * (default: one "llmeter proxy listening") came.
 */
export async function startProxyProcess(
  args: readonly string[],
  readyLines = 1,
  env: NodeJS.ProcessEnv = {},
): Promise<ProxyProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'proxy', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: LogLine[] = [];
  let output = '';
  let partial = '';
  const watchers = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      if (!text.startsWith('{')) continue;
      lines.push(JSON.parse(text) as LogLine);
    }
    for (const watcher of watchers) watcher();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const waitForLine = (match: (line: LogLine) => boolean, what: string, timeoutMs = 20_000): Promise<LogLine> =>
    new Promise((resolvePromise, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found === undefined) return;
        finish();
        resolvePromise(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no log line ${what} within ${timeoutMs} ms:\n${output.slice(-4000)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });

  const proxy: ProxyProcess = {
    pid: child.pid ?? -1,
    lines,
    output: () => output,
    waitForLine,
    exited,
    async stop(signal = 'SIGTERM', killAfterMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
  try {
    const deadline = Date.now() + 30_000;
    while (lines.filter((line) => line.msg === 'llmeter proxy listening').length < readyLines) {
      if (child.exitCode !== null) throw new Error(`llmeter proxy exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`llmeter proxy was not listening after 30 s:\n${output}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  } catch (error) {
    await proxy.stop('SIGKILL');
    throw error;
  }
  return proxy;
}

/** The URL the proxy logged it listens on. */
export function listeningUrl(proxy: ProxyProcess): string {
  const line = proxy.lines.find((one) => one.msg === 'llmeter proxy listening');
  if (line === undefined || typeof line.url !== 'string') throw new Error('the proxy has not logged its URL');
  return line.url;
}

/** Whether a process is still running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
