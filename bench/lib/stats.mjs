// Statistics shared by the benchmarks: every figure they print is a median of interleaved rounds.

/** The median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `action` and returns its wall time in ms with its result. */
export async function timed(action) {
  const started = performance.now();
  const result = await action();
  return { ms: performance.now() - started, result };
}

/**
 * A function giving `items` in a new random order each call, from a fixed seed (runs are repeatable): for rounds
 * of one call per contender, so that each follows every other equally often. A fixed rotation leaves each mostly
 * after the same one, and a call pays for what the one before left running (a proxy's work after its response).
 */
export function shuffler(items, seed = 1) {
  let state = seed >>> 0;
  // mulberry32: small, fast, and good enough to order a handful of contenders.
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const order = [...items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  };
}
