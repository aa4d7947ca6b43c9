import { missingNodeOptions } from '@llmeter/proxy/node-options';

/** `process.execve` (Node 22.15 and later, not on Windows), typed here: the @types/node in use may predate it. */
type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process with the same command run with the Node options of `wanted` it lacks (see
 * `PROXY_NODE_OPTIONS`): same process id, same standard streams, same signals, so whatever supervises the
 * process (a shell, systemd, a container's PID 1) sees no difference. Returns when nothing is missing, and when
 * the platform cannot replace a process (Windows, Node before 22.15) or refuses to, and under `--inspect`: the
 * command then runs with the options it has, which changes its memory use and speed, never its results.
 *
 * @example
 * ```ts
 * relaunchWithNodeOptions(PROXY_NODE_OPTIONS); // returns only when there is nothing to add
 * ```
 */
export function relaunchWithNodeOptions(wanted: readonly string[]): void {
  const missing = missingNodeOptions(wanted, process.execArgv, process.env.NODE_OPTIONS);
  const execve = (process as { execve?: Execve }).execve;
  if (missing.length === 0 || typeof execve !== 'function') return;
  // Under a debugger (`--inspect-brk` would stop twice, and the session would lose the first process).
  if (process.execArgv.some((option) => option.startsWith('--inspect'))) return;
  try {
    execve(
      process.execPath,
      [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)],
      process.env,
    );
  } catch {
    // Not allowed here (a worker thread, a sandbox): run as we are.
  }
}
