/** The median of a non-empty list of numbers. */
export declare function median(values: readonly number[]): number;
/** Runs `action` and returns its wall time in ms with its result. */
export declare function timed<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }>;
/** A function giving `items` in a new random order each call, from a fixed seed (runs are repeatable). */
export declare function shuffler<T>(items: readonly T[], seed?: number): () => T[];
