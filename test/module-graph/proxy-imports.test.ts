import { existsSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadedFiles } from '../support/loaded-modules.js';

// The proxy library is what a program embeds (`startProxy`): it must not drag in the demo, the simulator, the SDK
// wrapper or the provider SDKs those use. Checked on the build, as a user's program loads it, in a fresh process.

const ROOT = realpathSync(resolve(import.meta.dirname, '../..'));

/** A part of the repository (or a dependency) the proxy library must not load, and how to recognise its files. */
interface Forbidden {
  name: string;
  owns(file: string): boolean;
}

/** Files of a workspace folder, or of an installed package wherever npm put it (nested copies included). */
function forbidden(name: string, workspaceDir?: string): Forbidden {
  const roots = [workspaceDir ? join(ROOT, workspaceDir) : join(ROOT, 'node_modules', name)]
    .filter((dir) => existsSync(dir))
    .map((dir) => realpathSync(dir) + sep);
  const installed = `${sep}node_modules${sep}${name.replace('/', sep)}${sep}`;
  return { name, owns: (file) => file.includes(installed) || roots.some((root) => file.startsWith(root)) };
}

const NOT_FOR_THE_PROXY: Forbidden[] = [
  forbidden('llmeter', 'apps/cli'),
  forbidden('@llmeter/simulator', 'packages/simulator'),
  forbidden('@llmeter/sdk', 'packages/sdk'),
  forbidden('openai'),
  forbidden('openai-v6'),
  forbidden('@anthropic-ai/sdk'),
];

const CORE_WIRE_DIR = join(ROOT, 'packages/core/dist/wire') + sep;

/** Fails with the build command when a package's dist is missing. */
function assertBuilt(dir: string): void {
  if (!existsSync(join(ROOT, dir, 'dist/index.js'))) {
    throw new Error(`no ${dir}/dist: build first (\`npx turbo run build\`; \`npm test\` does)`);
  }
}

describe("@llmeter/proxy's module graph", () => {
  let proxyFiles: string[] = [];
  beforeAll(async () => {
    assertBuilt('packages/proxy');
    proxyFiles = await loadedFiles('@llmeter/proxy', ROOT);
  });

  test('is the build of the proxy and its own dependencies (the recording saw the whole graph)', () => {
    expect(proxyFiles).toContain(join(ROOT, 'packages/proxy/dist/index.js'));
    expect(proxyFiles).toContain(join(ROOT, 'packages/core/dist/index.js'));
    expect(proxyFiles).toContain(join(ROOT, 'packages/dashboard/dist/index.js'));
    // CommonJS dependencies' own require()s are recorded too.
    expect(proxyFiles.some((file) => file.includes(`${sep}node_modules${sep}prom-client${sep}lib${sep}`))).toBe(true);
    // The build, not the TypeScript sources (those load only under the repository's `llmeter-source` condition).
    const workspaces = [join(ROOT, 'packages') + sep, join(ROOT, 'apps') + sep];
    const sources = proxyFiles.filter(
      (file) => workspaces.some((dir) => file.startsWith(dir)) && !file.includes(`${sep}dist${sep}`),
    );
    expect(sources).toEqual([]);
  });

  test('loads nothing from the CLI and demo, the simulator, the SDK wrapper, openai or @anthropic-ai/sdk', () => {
    // One line per part it loads: how many files, and the first one (the import that pulled it in is nearby).
    const offending = NOT_FOR_THE_PROXY.flatMap((part) => {
      const files = proxyFiles.filter((file) => part.owns(file));
      return files.length === 0 ? [] : [`${part.name}: ${files.length} files, first ${files[0]}`];
    });
    expect(offending).toEqual([]);
  });
});

describe("@llmeter/core's entry points", () => {
  let coreFiles: string[] = [];
  let coreWireFiles: string[] = [];
  beforeAll(async () => {
    assertBuilt('packages/core');
    [coreFiles, coreWireFiles] = await Promise.all([
      loadedFiles('@llmeter/core', ROOT),
      loadedFiles('@llmeter/core/wire', ROOT),
    ]);
  });

  test('the main entry loads no wire-format module: those are @llmeter/core/wire', () => {
    expect(coreFiles).toContain(join(ROOT, 'packages/core/dist/index.js'));
    expect(coreFiles.filter((file) => file.startsWith(CORE_WIRE_DIR))).toEqual([]);
  });

  test('@llmeter/core/wire loads the wire formats (so the check above looks in the right folder)', () => {
    expect(coreWireFiles).toContain(join(CORE_WIRE_DIR, 'index.js'));
  });
});
