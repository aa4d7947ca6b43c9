/**
 * The Node.js options `llmeter proxy` runs with: V8's young generation capped at 4 MiB per semi-space.
 *
 * Why: by default the young generation of a proxy under stream traffic keeps growing (the requests in flight
 * survive collections; 32 MiB and more were seen here), and V8 starts a full collection early whenever the old
 * generation's headroom
 * is smaller than the young generation (`Heap::IncrementalMarkingLimitReached`: the soft limit). On a proxy with
 * a small old generation (≈ 17 MB) that headroom is soon used up by the memory of the socket reads in flight,
 * and one run in two of `npm run bench` fell into back-to-back full collections on bursty streams (23 in one
 * benchmark case, where a bare `http-proxy` did 3), which cost llmeter 1.3-1.6x a bare proxy's CPU per request. Capped at 4 MiB, three runs in a row stayed at 0.95-1.12x, the bare proxy's figures did not move, and
 * the resident memory is lower (most of the proxy's resident memory was young generation). `bench/` runs the
 * proxy with these options too.
 *
 * The CLI starts the proxy with them ({@link missingNodeOptions}); an option the process already has (in its
 * own arguments or `NODE_OPTIONS`) is left as it is, so `NODE_OPTIONS=--max-semi-space-size=16` chooses
 * another size. Code that calls `startProxy` in its own process runs with that process's options.
 *
 * @example
 * ```ts
 * import { fork } from 'node:child_process';
 * import { PROXY_NODE_OPTIONS } from '@llmeter/proxy';
 * fork('my-proxy.js', { execArgv: [...PROXY_NODE_OPTIONS] });
 * ```
 */
export const PROXY_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * The options of `wanted` that neither `execArgv` nor `nodeOptions` (the `NODE_OPTIONS` variable) sets, by name:
 * `--max-semi-space-size=4` is set by `--max-semi-space-size=8`, `--max-semi-space-size 8` or V8's spelling
 * `--max_semi_space_size=8`.
 *
 * @example
 * ```ts
 * missingNodeOptions(['--max-semi-space-size=4'], process.execArgv, process.env.NODE_OPTIONS);
 * // [] when the process already has its own --max-semi-space-size
 * ```
 */
export function missingNodeOptions(
  wanted: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const present = new Set<string>();
  for (const option of [...execArgv, ...(nodeOptions?.split(/\s+/) ?? [])]) {
    if (option.startsWith('--')) present.add(optionName(option));
  }
  return wanted.filter((option) => !present.has(optionName(option)));
}

/** An option's name, V8's underscores read as dashes: `--max_semi_space_size=8` → `--max-semi-space-size`. */
function optionName(option: string): string {
  const equals = option.indexOf('=');
  return (equals === -1 ? option : option.slice(0, equals)).replaceAll('_', '-');
}
