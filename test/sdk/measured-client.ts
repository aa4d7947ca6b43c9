import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PriceBook } from '@llmeter/core';
import { instrument } from '@llmeter/sdk';
import type { Registry } from 'prom-client';
import { expect } from 'vitest';
import { eventually, metricsText, newRegistry, value } from './harness.js';

/** An instrumented client with its own registry, and every error llmeter reported through `onError`. */
export interface Measured<Client> {
  readonly registry: Registry;
  readonly client: Client;
  /** Nothing, when all goes well. */
  readonly reported: unknown[];
}

/**
 * Instruments `raw` on a fresh registry (so a test sees only its own calls), collecting what `onError` reports.
 *
 * @example
 * const { registry, client, reported } = measure(new GoogleGenAI({ apiKey, httpOptions: { baseUrl } }));
 */
export function measure<Client extends object>(raw: Client, prices?: PriceBook): Measured<Client> {
  const registry = newRegistry();
  const reported: unknown[] = [];
  const client = instrument(raw, { registry, prices, onError: (error) => reported.push(error) });
  return { registry, client, reported };
}

/** The tokens of one call by type; a type left out must read 0. */
export interface CallTokens {
  readonly input: number;
  readonly output: number;
  readonly cachedInput?: number;
  readonly cacheWrite?: number;
  readonly reasoning?: number;
}

/** What one successful call must have left in the exposition. */
export interface OneCall {
  readonly tokens: CallTokens;
  readonly cost: number;
  /** A streamed call records a time to first token; any other records none. */
  readonly stream: boolean;
  /** The credential the client sent, which must appear nowhere in the text. */
  readonly secret: string;
}

/**
 * Asserts that `text` (a registry's exposition) holds exactly one call, successful, under `labels`: its tokens by
 * type, its cost, a time to first token only when streamed, nothing estimated, unpriced, failed or in flight, and
 * no trace of the credential. The SDK tests of every provider check a call this same way.
 *
 * @example
 * expectOneCall(await metricsText(registry), { provider: 'gemini', model, operation: 'chat' }, {
 *   tokens: { input: 1000, output: 500 },
 *   cost: 0.00155,
 *   stream: false,
 *   secret: API_KEY,
 * });
 */
export function expectOneCall(text: string, labels: Record<string, string>, call: OneCall): void {
  const { tokens } = call;
  expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
  expect(value(text, 'requests_total')).toBe(1);
  expect(value(text, 'request_failures_total')).toBe(0);
  const byType = {
    input: tokens.input,
    cached_input: tokens.cachedInput ?? 0,
    cache_write: tokens.cacheWrite ?? 0,
    output: tokens.output,
    reasoning: tokens.reasoning ?? 0,
  };
  for (const [type, count] of Object.entries(byType)) {
    expect(value(text, 'tokens_total', { ...labels, type }), `${type} tokens`).toBe(count);
  }
  expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(call.cost, 15);
  expect(value(text, 'time_to_first_token_seconds_count', labels)).toBe(call.stream ? 1 : 0);
  expect(value(text, 'usage_estimated_total')).toBe(0);
  expect(value(text, 'unpriced_requests_total')).toBe(0);
  expect(value(text, 'requests_in_flight')).toBe(0);
  expect(text).not.toContain(call.secret);
}

let gc: (() => void) | undefined;

/** A real collection, so that a call its caller dropped is really gone and its finalizer runs. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Asserts that the one call in flight on `registry`, whose stream the caller dropped unread, stops being in
 * flight once garbage-collected (within 5 s): its finalizer recorded it.
 *
 * @example
 * await (async () => {
 *   await ai.models.generateContentStream({ model, contents: 'Hi' });
 * })();
 * await expectInFlightUntilCollected(registry);
 */
export async function expectInFlightUntilCollected(registry: Registry): Promise<void> {
  expect(value(await metricsText(registry), 'requests_in_flight')).toBe(1);
  await collectUntilNoneInFlight(registry);
}

/**
 * Collects garbage until no call is in flight on `registry` (within 5 s): finalizers run after a collection, on a
 * later turn of the event loop.
 *
 * @example
 * void openai.chat.completions.create({ model, messages }); // never awaited
 * await collectUntilNoneInFlight(registry);
 */
export async function collectUntilNoneInFlight(registry: Registry): Promise<void> {
  await eventually(async () => {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 10));
    return value(await metricsText(registry), 'requests_in_flight') === 0;
  }, 5000);
}
