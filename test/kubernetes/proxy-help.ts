import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../support/run-process.js';
import { ROOT } from './manifests.js';

// The bin as npm links it, running the build (`npm test` builds before vitest), as the image runs it.
export const LLMETER_BIN = realpathSync(join(ROOT, 'node_modules/.bin/llmeter'));

/** What `llmeter proxy --help` documents: its flags (`--host`) and the environment variables they read. */
export interface ProxyHelp {
  flags: Set<string>;
  variables: Set<string>;
  text: string;
}

/** Runs `llmeter proxy --help` and reads the options table (`  --host HOST   ... (env LLMETER_HOST)`). */
export async function proxyHelp(): Promise<ProxyHelp> {
  const help = await runProcess(process.execPath, [LLMETER_BIN, 'proxy', '--help'], { cwd: ROOT, timeoutMs: 15_000 });
  if (help.code !== 0) throw new Error(`llmeter proxy --help exited ${help.code}: ${help.stderr}`);
  return {
    flags: new Set([...help.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? '')),
    variables: new Set([...help.stdout.matchAll(/\benv (LLMETER_[A-Z_]+)/g)].map((match) => match[1] ?? '')),
    text: help.stdout,
  };
}
