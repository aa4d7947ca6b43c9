import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './manifests.js';

/** The fields of a package-lock.json (v3) entry that say what it is and what it needs. */
interface LockedPackage {
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

type Lock = Readonly<Record<string, LockedPackage>>;

export function readLock(): Lock {
  // Shape checked where read: every field is optional.
  return (JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Lock }).packages;
}

/** Whether `npm ci --omit=dev --omit=optional` installs the entry (npm's flags: devOptional is dev or optional). */
export function keptByProductionInstall(entry: LockedPackage): boolean {
  return !entry.dev && !entry.optional && !entry.devOptional;
}

/** Where Node finds `name` from the package at `location`: its own node_modules, then each one above it. */
function locate(lock: Lock, location: string, name: string): string | undefined {
  let directory = location;
  for (;;) {
    const candidate = directory === '' ? `node_modules/${name}` : `${directory}/node_modules/${name}`;
    if (lock[candidate] !== undefined) return candidate;
    if (directory === '') return undefined;
    const above = directory.lastIndexOf('/node_modules/');
    directory = above === -1 ? '' : directory.slice(0, above);
  }
}

/**
 * Every package that `workspace` (a lockfile location, `apps/cli`) needs at run time, transitively: its
 * dependencies and required peers, workspace links followed, as lockfile locations, each with what needs it.
 */
export function runtimeClosure(lock: Lock, workspace: string): Map<string, string> {
  const needed = new Map<string, string>([[workspace, '']]);
  const queue = [workspace];
  for (let location = queue.shift(); location !== undefined; location = queue.shift()) {
    const entry = lock[location] ?? {};
    const required = Object.keys(entry.peerDependencies ?? {}).filter(
      (name) => !entry.peerDependenciesMeta?.[name]?.optional,
    );
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...required]) {
      const found = locate(lock, location, name);
      if (found === undefined) throw new Error(`${location} needs ${name}, which the lockfile does not have`);
      const targets = [found];
      const target = lock[found];
      if (target?.link && target.resolved !== undefined) targets.push(target.resolved);
      for (const next of targets) {
        if (needed.has(next)) continue;
        needed.set(next, location);
        queue.push(next);
      }
    }
  }
  return needed;
}
