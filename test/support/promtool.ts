import { spawn } from 'node:child_process';

/** What `promtool check metrics` said of an exposition. */
export interface MetricsCheck {
  code: number | null;
  /** Everything it printed (stdout and stderr): empty when it found nothing to say. */
  output: string;
}

/** Debian's promtool. */
export const PROMTOOL = '/usr/bin/promtool';

/**
 * Runs the real `promtool check metrics` on an exposition text (it reads stdin); killed after `timeoutMs`.
 * @example
 * ```ts
 * const { code, output } = await promtoolCheckMetrics(await (await fetch(`${url}/metrics`)).text());
 * ```
 */
export function promtoolCheckMetrics(text: string, timeoutMs = 10_000): Promise<MetricsCheck> {
  const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stdin.end(text);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
