import { type Simulator, startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import OpenAIv6 from 'openai-v6';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { findSamples, sampleSum } from '../support/prometheus-text.js';

/** Both supported majors of the `openai` package, for `describe.each`. */
export const OPENAI_SDKS = [
  { name: 'openai v7', OpenAI },
  // v6's surface is the subset of v7's these tests use; one static type keeps the shared tests callable.
  { name: 'openai v6', OpenAI: OpenAIv6 as unknown as typeof OpenAI },
] as const;

export type OpenAiSdk = (typeof OPENAI_SDKS)[number];

/** Starts one simulator for the file, with an empty queue before each test. */
export function useSimulator(): { readonly sim: Simulator } {
  const holder: { sim: Simulator } = { sim: undefined as unknown as Simulator };
  beforeAll(async () => {
    holder.sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => holder.sim.reset());
  afterAll(async () => {
    await holder.sim.close();
  });
  return holder;
}

/** A fresh registry per test, so every assertion sees only that test's calls. */
export function newRegistry(): Registry {
  return new Registry();
}

export function metricsText(registry: Registry): Promise<string> {
  return registry.metrics();
}

/** The value of one series (summed over the labels not given). */
export function value(text: string, name: string, labels: Record<string, string> = {}): number {
  return sampleSum(text, `llm_${name}`, labels);
}

/** Every label set of a metric, for asserting that no other series exists. */
export function series(text: string, name: string): Record<string, string>[] {
  return findSamples(text, `llm_${name}`).map((sample) => sample.labels);
}

/** USD for `tokens` at `pricePerMillion`. */
export function usd(tokens: number, pricePerMillion: number): number {
  return (tokens * pricePerMillion) / 1_000_000;
}

/** Waits until `check` passes (for what is recorded after the caller's promise resolves, e.g. asResponse). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
