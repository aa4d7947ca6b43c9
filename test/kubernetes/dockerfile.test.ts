import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORT } from '@llmeter/proxy/config';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, test } from 'vitest';
import { contextSource, copies, dockerignore, type Instruction, readDockerfile, type Stage } from './dockerfile.js';
import { keptByProductionInstall, readLock, runtimeClosure } from './lockfile.js';
import { loadManifests, only, ROOT } from './manifests.js';
import { proxyHelp } from './proxy-help.js';

// No Docker engine runs here: the Dockerfile is checked as text against the repository it builds from. What this
// cannot show (the base image's contents, npm reaching the registry during the build) is said in deploy/README.md.

const stages = readDockerfile();
const [build] = stages;
const runtime = stages.at(-1);
const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const deployment = only(loadManifests(), 'Deployment', Deployment);
const podSpec = deployment.spec?.template.spec;

function stage(which: Stage | undefined): Stage {
  if (which === undefined) throw new Error('the Dockerfile has no such stage');
  return which;
}

const instructions = (of: Stage, keyword: string): Instruction[] =>
  of.instructions.filter((instruction) => instruction.keyword === keyword);

/** The workspaces of the root package.json (`packages/*`, `apps/*`): folders with a package.json. */
function workspaces(): string[] {
  const globs = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  return globs.flatMap((glob) => {
    const parent = glob.replace(/\/\*$/, '');
    return readdirSync(join(ROOT, parent))
      .map((name) => `${parent}/${name}`)
      .filter((dir) => existsSync(join(ROOT, dir, 'package.json')));
  });
}

const NODE_24_SLIM = /^node:24(-bookworm)?-slim(@sha256:[0-9a-f]{64})?$/;

describe('Dockerfile', () => {
  test('a build stage and a runtime stage, both on the slim Node 24 image', () => {
    expect(stages.map((item) => item.name)).toEqual(['build', undefined]);
    for (const item of stages) expect(item.image).toMatch(NODE_24_SLIM);
  });

  test('builds from the lockfile with turbo, then installs the production tree of the same lockfile', () => {
    const runs = instructions(stage(build), 'RUN').map((instruction) => instruction.text);
    expect(runs).toEqual([
      'npm ci --no-audit --no-fund',
      expect.stringMatching(/^npx turbo run build .*&& npm ci --omit=dev --omit=optional --no-audit --no-fund &&/),
    ]);
  });

  test('copies every workspace manifest and the bins npm links before the first npm ci', () => {
    const installLine = instructions(stage(build), 'RUN')[0]?.line ?? 0;
    const early = copies(stage(build)).filter((copy) => copy.from === undefined && copy.line < installLine);
    const sources = early.flatMap((copy) => copy.sources);
    for (const workspace of workspaces()) {
      expect(sources, workspace).toContain(`${workspace}/package.json`);
      const { bin = {} } = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8')) as {
        bin?: Record<string, string>;
      };
      for (const file of Object.values(bin)) {
        const path = join(workspace, file);
        expect(
          sources.some((source) => path === source || path.startsWith(`${source}/`)),
          `${path} copied before npm ci`,
        ).toBe(true);
      }
    }
  });

  test('every COPY from the build context exists and is not left out by .dockerignore', () => {
    const fromContext = stages.flatMap((item) => copies(item).filter((copy) => copy.from === undefined));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      for (const source of copy.sources) {
        expect(existsSync(join(ROOT, source)), `line ${copy.line}: ${source} exists`).toBe(true);
        expect(ignored(source), `line ${copy.line}: ${source} in .dockerignore`).toBe(false);
      }
    }
    // Local installs and builds stay out: the image installs and builds its own.
    for (const path of ['node_modules', 'packages/core/node_modules', 'packages/core/dist', 'apps/cli/dist', '.git']) {
      expect(ignored(path), path).toBe(true);
    }
    expect(ignored('packages/core/src/index.ts')).toBe(false);
  });

  test('runs as a numeric non-root user, the one the Deployment runs as', () => {
    const users = instructions(stage(runtime), 'USER').map((instruction) => instruction.text);
    expect(users).toEqual([`${podSpec?.securityContext?.runAsUser}:${podSpec?.securityContext?.runAsGroup}`]);
    expect(users[0]).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  test('starts the llmeter bin that the build stage copied and built, as `llmeter proxy` on port 8787', () => {
    const entrypoint = instructions(stage(runtime), 'ENTRYPOINT')[0]?.words ?? [];
    expect(entrypoint[0]).toBe('node');
    const bin = contextSource(stages, stage(runtime), entrypoint[1] ?? '');
    const cli = JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(bin).toBe(join('apps/cli', cli.bin.llmeter ?? ''));
    expect(existsSync(join(ROOT, bin ?? ''))).toBe(true);
    // The bin runs ../dist/cli.js: in the image, from the folder the build stage ran turbo in (never a local
    // build, which .dockerignore leaves out); turbo's build writes dist/ from src/.
    expect(readFileSync(join(ROOT, bin ?? ''), 'utf8')).toContain("import '../dist/cli.js';");
    const built = contextSource(
      stages,
      stage(runtime),
      entrypoint[1]?.replace('/bin/llmeter.js', '/dist/cli.js') ?? '',
    );
    expect(built).toBe('apps/cli/dist/cli.js');
    expect(ignored(built ?? '')).toBe(true);
    expect(existsSync(join(ROOT, 'apps/cli/src/cli.ts'))).toBe(true);

    expect(instructions(stage(runtime), 'CMD').map((instruction) => instruction.words)).toEqual([['proxy']]);
    const exposed = instructions(stage(runtime), 'EXPOSE').map((instruction) => instruction.text);
    expect(exposed).toEqual([String(DEFAULT_PORT)]);
    expect(podSpec?.containers[0]?.ports?.[0]?.containerPort).toBe(DEFAULT_PORT);
  });

  test('sets only environment variables that llmeter reads, and listens on all interfaces', async () => {
    const variables = instructions(stage(runtime), 'ENV').flatMap((instruction) =>
      instruction.words.map((word) => word.split('=') as [string, string]),
    );
    expect(variables).toEqual([
      ['NODE_ENV', 'production'],
      ['LLMETER_HOST', '0.0.0.0'],
    ]);
    const { variables: documented } = await proxyHelp();
    expect(documented).toContain('LLMETER_HOST');
  });

  test('the production install keeps every package the llmeter command needs at run time', () => {
    const lock = readLock();
    const needed = runtimeClosure(lock, 'apps/cli');
    // The workspaces, the SDKs the demo drives, prom-client, the proxy's own dependencies.
    for (const location of ['packages/proxy', 'node_modules/openai', 'node_modules/prom-client', 'node_modules/pino']) {
      expect(needed.has(location), location).toBe(true);
    }
    const dropped = [...needed].filter(([location]) => !keptByProductionInstall(lock[location] ?? {}));
    expect(dropped.map(([location, neededBy]) => `${location} (needed by ${neededBy})`)).toEqual([]);
    // What --omit=optional is there for: TypeScript, only an optional peer of valibot, stays out of the image.
    expect(keptByProductionInstall(lock['node_modules/typescript'] ?? {})).toBe(false);
  });
});
