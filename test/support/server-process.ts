import { type ChildProcess, spawn } from 'node:child_process';

/** A long-running server program started by a test. */
export interface ServerProcess {
  /** The last few KB of its stdout and stderr, for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Names the program in error messages. */
  name: string;
  command: string;
  args: readonly string[];
  /** Polled every 100 ms until it returns true (the program answers). */
  isReady: () => Promise<boolean>;
  /** Default 30 s: generous, other test files load the machine at the same time. */
  startTimeoutMs?: number;
}

/**
 * Starts a server program and waits until `isReady` says it serves. It is also killed if the test process exits
 * without stopping it, so a failed test never leaves it behind.
 * @throws {Error} when the program exits or is not ready in time (it is stopped first; the message has its log).
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(options.command, [...options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      await stop();
      throw new Error(`${options.name}: cannot run ${options.command}`, { cause: spawnError });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) while starting:\n${log}`);
    }
    if (await options.isReady().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready after ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { log: () => log, stop };
}
