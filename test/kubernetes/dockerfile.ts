import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ROOT } from './manifests.js';

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  /** Upper case: `FROM`, `COPY`, `RUN`. */
  keyword: string;
  /** The text after the keyword. */
  text: string;
  /** The words after the keyword: the JSON array of the exec form, else split on whitespace. */
  words: string[];
  line: number;
}

/** One build stage: its base image, its name, and its instructions after FROM. */
export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/**
 * Parses a Dockerfile into stages, enough to check it without a Docker engine: comments and blank lines dropped,
 * `\` continuations joined, exec-form (JSON) arguments parsed. Heredocs and escape directives are not supported
 * (the repository's Dockerfile uses neither).
 */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) return; // comments may sit between continuation lines too
    if (pending === undefined && trimmed === '') return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending === undefined ? { text: part, line: index + 1 } : { ...pending, text: `${pending.text} ${part}` };
    if (continued) return;
    const [keyword = '', ...rest] = pending.text.split(/\s+/);
    const after = pending.text.slice(keyword.length).trim();
    const words = after.startsWith('[') ? (JSON.parse(after) as string[]) : rest;
    instructions.push({ keyword: keyword.toUpperCase(), text: after, words, line: pending.line });
    pending = undefined;
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.words.filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ image: words[0] ?? '', name: as === -1 ? undefined : words[as + 1], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`line ${instruction.line}: ${instruction.keyword} before any FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
}

/** A COPY: its `--from` stage (undefined for the build context), its sources and its destination. */
export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
  line: number;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const flags = instruction.words.filter((word) => word.startsWith('--'));
      const paths = instruction.words.filter((word) => !word.startsWith('--'));
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '', line: instruction.line };
    });
}

/** The stage's working directory after its instructions (the last WORKDIR; `/` when none). */
export function workdir(stage: Stage): string {
  const set = stage.instructions.filter((instruction) => instruction.keyword === 'WORKDIR').at(-1);
  return set?.words[0] ?? '/';
}

/**
 * Where an absolute path of `stage`'s file system comes from: the build-context path that a COPY chain (through
 * `--from` stages) brought there, or undefined when no COPY did (it comes from the base image or a RUN).
 */
export function contextSource(stages: readonly Stage[], stage: Stage, path: string): string | undefined {
  const base = workdir(stage);
  for (const copy of copies(stage).reverse()) {
    const destination = posix.resolve(base, copy.destination);
    for (const source of copy.sources) {
      // `COPY dir dest` puts dir's contents in dest; `COPY file dir/` puts the file in dir/.
      const into =
        copy.destination.endsWith('/') && !source.endsWith('/')
          ? posix.join(destination, posix.basename(source))
          : destination;
      if (path !== into && !path.startsWith(`${into}/`)) continue;
      const inSource = posix.join(source, posix.relative(into, path));
      if (copy.from === undefined) return posix.normalize(inSource);
      const from = stages.find((candidate) => candidate.name === copy.from);
      if (from === undefined) throw new Error(`line ${copy.line}: no stage named ${copy.from}`);
      return contextSource(stages, from, posix.resolve(workdir(from), inSource));
    }
  }
  return undefined;
}

/**
 * A `.dockerignore` as Docker reads it: patterns relative to the context root, `**` for any number of
 * directories, a path excluded when it or a directory above it matches. Exceptions (`!pattern`) are not
 * supported: a file that has one fails loudly rather than being read wrong.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((pattern) => {
      if (pattern.startsWith('!')) throw new Error(`.dockerignore exceptions are not supported here: ${pattern}`);
      const source = posix
        .normalize(pattern.replace(/^\/+/, ''))
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replaceAll('*', '[^/]*')
                .replaceAll('?', '[^/]'),
        )
        .join('/')
        .replaceAll('.*/', '(?:.*/)?');
      return new RegExp(`^${source}$`);
    });
  return (path) => {
    const parts = posix.normalize(path).split('/');
    return parts.some((_, index) => {
      const prefix = parts.slice(0, index + 1).join('/');
      return patterns.some((pattern) => pattern.test(prefix));
    });
  };
}
