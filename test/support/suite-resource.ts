import { afterAll, beforeAll } from 'vitest';

/**
 * Starts a resource in `beforeAll` of the enclosing describe block and closes it in its `afterAll`; returns how
 * to reach it from a hook or test. Reading it before the block started it throws `early`, which says so.
 *
 * @example
 * ```ts
 * const current = suiteResource(startReplayUpstream, 'the replay upstream is used before it started');
 * it('answers', async () => expect((await fetch(current().url)).ok).toBe(true));
 * ```
 */
export function suiteResource<T extends { close(): Promise<unknown> }>(
  start: () => Promise<T>,
  early: string,
  startTimeoutMs?: number,
): () => T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, startTimeoutMs);
  afterAll(async () => {
    await started?.close();
  });
  return () => {
    if (started === undefined) throw new Error(early);
    return started;
  };
}
