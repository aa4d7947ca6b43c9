import { spawn } from 'node:child_process';

/** How a child process ended, with everything it printed. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL, with its whole process group) after this long; the result says so in `stderr`. */
  timeoutMs: number;
}

/**
 * Runs a command to completion without a shell and collects its output. A command that outlives `timeoutMs` is
 * killed with its children (npm spawns some), so a hung install cannot outlive the test.
 */
export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'pipe', detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms: ${file} ${args.join(' ')}]`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone between the timer firing and the kill.
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`could not start ${file}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
