/** How long the SDK benchmark runs: interleaved rounds, calls per round, content chunks per stream. */
export interface SdkBenchSize {
  rounds: number;
  calls: number;
  chunks: number;
  /** Only the cases whose name contains this (`stream`, say); every case when absent. */
  only?: string | undefined;
}
/** One contender in one case: µs per call (per chunk for streams), and µs added over the floor. */
export interface SdkBenchRow {
  case: string;
  name: string;
  floor: boolean;
  micros: number;
  addedMicros: number;
  /** The same in CPU µs of the process (all threads). */
  cpuMicros: number;
  addedCpuMicros: number;
  measured: number;
}
export declare const SDK_SIZES: { full: SdkBenchSize; smoke: SdkBenchSize };
/** Runs the SDK benchmark: a row per case and contender, the floor first. */
export declare function runSdkBench(size: SdkBenchSize): Promise<{ rows: SdkBenchRow[]; notes: string[] }>;
