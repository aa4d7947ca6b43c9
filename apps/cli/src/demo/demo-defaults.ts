import { DEFAULT_PORT } from '@llmeter/proxy/config';

// A module of its own, light enough for `llmeter demo --help`: the demo itself loads the SDKs and prom-client.

/** `llmeter demo`'s defaults, for the command line, its help and `runDemo`. */
export const DEMO_DEFAULTS = {
  /** Calls per second, across both ways in. */
  rps: 5,
  /** The proxy's port: the proxy's own default. */
  port: DEFAULT_PORT,
  /** Seed of the simulated upstream and of the call mix. */
  seed: 1,
  /** Time multiplier of the simulated upstream: 1 is realistic. */
  speed: 1,
  /** At the end, how long calls under way may finish before they are aborted, in ms. */
  drainMs: 3000,
} as const;
