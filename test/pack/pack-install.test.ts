import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DEFAULT_REPLY_TEXT, DEFAULT_USAGE } from '@llmeter/simulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sampleSum } from '../support/prometheus-text.js';
import { type Finished, runProcess } from '../support/run-process.js';
import type { MeasuredInstall } from './measure-installed.js';

// The packages as users get them: `npm pack` of the built workspaces, installed into an empty project outside the
// repository, so nothing resolves through the monorepo's node_modules or workspace links. A file missing from
// `files`, an `exports` target that is not shipped, or a dependency the repository only has at its root fails here.

const ROOT = resolve(import.meta.dirname, '../..');

/** Every public workspace: its folder and its package name. */
const PUBLIC_WORKSPACES = [
  { dir: 'packages/core', name: '@llmeter/core' },
  { dir: 'packages/sdk', name: '@llmeter/sdk' },
  { dir: 'packages/proxy', name: '@llmeter/proxy' },
  { dir: 'packages/dashboard', name: '@llmeter/dashboard' },
  { dir: 'packages/simulator', name: '@llmeter/simulator' },
  { dir: 'apps/cli', name: 'llmeter' },
] as const;

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface PackageJson {
  name: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  devDependencies?: Record<string, string>;
}

async function readPackageJson(path: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path, 'utf8')) as PackageJson;
}

/**
 * npm run on the Node running this test (CI runs the suite on Node 22, 24 and 26): through `npm_execpath` when
 * npm started us, else the `npm` on a PATH that starts with this Node's folder.
 */
function npm(args: string[], cwd: string, timeoutMs: number): Promise<Finished> {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this test only; no turbo task depends on it.
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.[cm]?js$/.test(cli))
    return runProcess(process.execPath, [cli, ...args], { cwd, env: childEnv(), timeoutMs });
  return runProcess('npm', args, { cwd, env: childEnv(), timeoutMs });
}

/**
 * This process's environment for npm and the programs it starts: this Node's folder first on PATH (so a bin's
 * `#!/usr/bin/env node` runs on it), and of the `npm_*` variables only those saying where packages come from and
 * where they are cached. The rest describe the npm run that started us (its package, prefix, workspaces, or the
 * `--package=node@22` of CI's `npm exec`) and would leak into the temporary project's npm.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const fromNpm = /^npm_/i;
  const packageSource =
    /^npm_config_(cache|userconfig|globalconfig|registry|cafile|ca|proxy|https_proxy|noproxy|strict_ssl)$/i;
  for (const [key, value] of Object.entries(process.env)) {
    if (!fromNpm.test(key) || packageSource.test(key)) env[key] = value;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  env.npm_config_update_notifier = 'false';
  return env;
}

function explain(run: Finished): string {
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Every file an `exports` map points at (all conditions), as paths relative to the package. */
function exportTargets(exportsMap: PackageJson['exports']): string[] {
  return Object.values(exportsMap ?? {}).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target),
  );
}

/**
 * A strict user project. `skipLibCheck: false` so that a shipped .d.ts importing a package the tarball does not
 * depend on fails, rather than quietly typing as `any`.
 */
const USER_TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    lib: ['es2023'],
    module: 'nodenext',
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    noEmit: true,
  },
  files: ['measure-installed.ts'],
};

let work = '';
let project = '';

beforeAll(async () => {
  const started = performance.now();
  const unbuilt = PUBLIC_WORKSPACES.filter(({ dir }) => !existsSync(join(ROOT, dir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(
      `no dist/ in ${unbuilt.map(({ dir }) => dir).join(', ')}: build first (\`npx turbo run build\`; \`npm test\` does)`,
    );
  }
  work = await mkdtemp(join(tmpdir(), 'llmeter-pack-'));
  project = join(work, 'project');
  await mkdir(project);

  const packed = await npm(
    [
      'pack',
      '--json',
      '--pack-destination',
      work,
      ...PUBLIC_WORKSPACES.flatMap(({ dir }) => ['-w', dir]),
      ...NPM_FLAGS,
    ],
    ROOT,
    60_000,
  );
  if (packed.code !== 0) throw new Error(`npm pack failed: ${explain(packed)}`);
  const tarballs = new Map(
    (JSON.parse(packed.stdout) as { name: string; filename: string }[]).map((p) => [p.name, join(work, p.filename)]),
  );
  const missing = PUBLIC_WORKSPACES.filter(({ name }) => !tarballs.has(name));
  if (missing.length > 0) throw new Error(`npm pack made no tarball for ${missing.map((w) => w.name).join(', ')}`);

  // What a TypeScript user installs beside llmeter, in the ranges the repository tests against (in npm's cache).
  const root = await readPackageJson(join(ROOT, 'package.json'));
  const core = await readPackageJson(join(ROOT, 'packages/core/package.json'));
  const peers = [
    `openai@${root.devDependencies?.openai}`,
    `prom-client@${core.devDependencies?.['prom-client']}`,
    `@types/node@${root.devDependencies?.['@types/node']}`,
  ];

  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'llmeter-pack-check', private: true, type: 'module' }, null, 2)}\n`,
  );
  const installed = await npm(['install', ...tarballs.values(), ...peers, ...NPM_FLAGS], project, 150_000);
  if (installed.code !== 0) throw new Error(`npm install of the tarballs failed: ${explain(installed)}`);
  await copyFile(join(import.meta.dirname, 'measure-installed.ts'), join(project, 'measure-installed.ts'));
  await writeFile(join(project, 'tsconfig.json'), `${JSON.stringify(USER_TSCONFIG, null, 2)}\n`);
  console.log(`pack-install: packed and installed in ${Math.round(performance.now() - started)} ms`);
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed tarballs, installed into an empty project', () => {
  test('each package ships every file its exports map and bin point at', async () => {
    for (const { dir, name } of PUBLIC_WORKSPACES) {
      const installedDir = join(project, 'node_modules', name);
      const manifest = await readPackageJson(join(installedDir, 'package.json'));
      expect(manifest.private, `${dir} is public`).toBeUndefined();
      const targets = [...exportTargets(manifest.exports), ...Object.values(manifest.bin ?? {})];
      const absent = targets.filter((target) => !existsSync(join(installedDir, target)));
      expect(absent, `${name}: exports/bin targets missing from the tarball`).toEqual([]);
    }
  });

  test('`npx llmeter proxy --help` runs the installed bin on this Node and prints the usage', async () => {
    // The PATH npx gives the bin: its `#!/usr/bin/env node` must find the Node this test runs on.
    const nodeVersion = await npm(['exec', '--no', '--call', 'node --version'], project, 30_000);
    expect(nodeVersion.stdout.trim(), explain(nodeVersion)).toBe(process.version);

    // `--no`: never fetch a package named llmeter from the registry when the installed bin is missing.
    const help = await npm(['exec', '--no', '--', 'llmeter', 'proxy', '--help'], project, 30_000);
    expect(help.code, explain(help)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: llmeter proxy \[options\]/);
    expect(help.stdout).toContain('--upstream NAME=URL');
  });

  test('a TypeScript program using the installed packages type-checks against their shipped declarations', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const checked = await runProcess(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: project,
      env: childEnv(),
      timeoutMs: 30_000,
    });
    expect(checked.code, explain(checked)).toBe(0);
  });

  test('that program measures a call through the proxy and one through instrument()', async () => {
    // Node 22.18+ strips types by default; the engines floor (22.12) needs the flag.
    const flags = process.features.typescript ? [] : ['--experimental-strip-types'];
    const run = await runProcess(process.execPath, [...flags, 'measure-installed.ts'], {
      cwd: project,
      env: childEnv(),
      timeoutMs: 30_000,
    });
    expect(run.code, explain(run)).toBe(0);
    const result = JSON.parse(run.stdout) as MeasuredInstall;
    expect(result.node).toBe(process.version);
    expect(result.proxiedStatus).toBe(200);
    expect(result.proxiedContent).toBe(DEFAULT_REPLY_TEXT);
    expect(result.sdkContent).toBe(DEFAULT_REPLY_TEXT);
    expect(result.upstreamRequests).toBe(2);
    // The page and all it loads (the page's scripts and styles, uPlot from the installed uplot) are served.
    expect(Object.keys(result.dashboardFiles)).toContain('/dashboard/uplot.js');
    expect(Object.entries(result.dashboardFiles).filter(([, status]) => status !== 200)).toEqual([]);
    expect(result.proxyMetricsStatus).toBe(200);

    const call = { provider: 'openai', model: 'gpt-4o-mini', operation: 'chat' };
    for (const [way, text] of [
      ['proxy /metrics', result.proxyMetrics],
      ['instrument() registry', result.sdkMetrics],
    ] as const) {
      expect(sampleSum(text, 'llm_requests_total'), way).toBe(1);
      expect(sampleSum(text, 'llm_requests_total', { ...call, status: 'ok' }), way).toBe(1);
      expect(sampleSum(text, 'llm_tokens_total', { ...call, type: 'input' }), way).toBe(DEFAULT_USAGE.input);
      expect(sampleSum(text, 'llm_tokens_total', { ...call, type: 'output' }), way).toBe(DEFAULT_USAGE.output);
      expect(sampleSum(text, 'llm_cost_usd_total', call), way).toBeGreaterThan(0);
    }
    // The same model and usage cost the same, whichever way in.
    expect(sampleSum(result.proxyMetrics, 'llm_cost_usd_total', call)).toBe(
      sampleSum(result.sdkMetrics, 'llm_cost_usd_total', call),
    );
  });
});
