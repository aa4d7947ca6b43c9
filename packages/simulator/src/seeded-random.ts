/**
 * A small seeded PRNG (mulberry32) with the few distributions the realistic profile needs. The same seed gives
 * the same sequence on every platform, which is what makes a realistic run repeatable.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = Math.trunc(seed) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly [T, ...T[]]): T {
    return items[Math.floor(this.next() * items.length)] ?? items[0];
  }

  /**
   * Log-normal with the given median: latencies and lengths are skewed like this, mostly near the median with a
   * long right tail. `sigma` is the spread of the underlying normal (0.3 mild, 0.8 wide).
   */
  logNormal(median: number, sigma: number): number {
    // Box-Muller; 1 - next() keeps the logarithm's argument above zero.
    const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    return median * Math.exp(sigma * normal);
  }
}
