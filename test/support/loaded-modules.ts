import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';

// Runs in the child: a resolve hook (module.registerHooks, synchronous, Node >= 22.15) that sees every `import`
// and `require()` Node resolves, including those inside CommonJS dependencies, then the import under test.
const RECORDER = `
import { registerHooks } from 'node:module';
if (typeof registerHooks !== 'function') throw new Error('module.registerHooks needs Node >= 22.15');
const resolved = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.add(result.url);
    return result;
  },
});
await import(process.argv[1]);
process.stdout.write(JSON.stringify([...resolved]));
`;

/**
 * The files (absolute paths, symlinks resolved) of every module Node loads for `import(specifier)` in a fresh
 * process started in `cwd`, without any custom export condition: what a user's program loads, from the build.
 * Built-ins (`node:*`) are left out.
 */
export async function loadedFiles(specifier: string, cwd: string): Promise<string[]> {
  const run = await runProcess(process.execPath, ['--input-type=module', '--eval', RECORDER, specifier], {
    cwd,
    timeoutMs: 20_000,
  });
  if (run.code !== 0) throw new Error(`import('${specifier}') failed (exit ${run.code}):\n${run.stderr}`);
  const urls = JSON.parse(run.stdout) as string[];
  return urls.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
}
