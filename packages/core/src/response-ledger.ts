import type { Registry } from 'prom-client';

/**
 * The most response ids a {@link ResponseLedger} remembers: 10,000. An entry is an id (~60 characters), a
 * model and a provider name, about 200 bytes with the map's own cost, so a full ledger holds about 2 MB. A process that
 * starts more background responses than this within {@link RESPONSE_LEDGER_TTL_MS} forgets the oldest first: a
 * later poll of a forgotten, finished response counts its usage again (a forgotten unfinished one is still
 * counted once, when its end is first seen).
 */
export const RESPONSE_LEDGER_MAX_IDS = 10_000;

/**
 * How long a {@link ResponseLedger} remembers a response id: 24 hours. OpenAI keeps a background response
 * pollable for about 10 minutes (a stored one for 30 days); polling the same response a day apart is rare, and
 * a day bounds the memory of a quiet process as well as {@link RESPONSE_LEDGER_MAX_IDS} bounds a busy one.
 */
export const RESPONSE_LEDGER_TTL_MS = 24 * 60 * 60 * 1000;

/** What a ledger knows about one response id. */
interface LedgerEntry {
  /** The model label of the call that started the response (its request's model); empty when not seen. */
  model: string;
  /** The provider label of the call that started the response; empty when not known. */
  provider: string;
  /** The response's usage was recorded (or its end, without usage, was seen): later views count nothing. */
  settled: boolean;
  /** `Date.now()` when the entry was last written. */
  at: number;
}

/** Responses of one provider and model seen started and not yet seen finished. */
export interface PendingResponses {
  /** The provider label of the calls that started them; empty when not known. */
  provider: string;
  /** Their model label; empty when the calls that started them named none. */
  model: string;
  count: number;
}

/** Bounds of a {@link ResponseLedger}. */
export interface ResponseLedgerOptions {
  /** Default {@link RESPONSE_LEDGER_MAX_IDS}. */
  maxIds?: number;
  /** Default {@link RESPONSE_LEDGER_TTL_MS}. */
  ttlMs?: number;
  /** The clock (`Date.now`), for tests. */
  now?: () => number;
}

/**
 * Remembers which OpenAI Responses (by response id) already had their usage recorded, so that a response is
 * counted exactly once however many times it is seen: created, polled (`GET /v1/responses/{id}`), resumed
 * (`?stream=true&starting_after=N`), cancelled (`POST /v1/responses/{id}/cancel`).
 *
 * The policy, applied by core's `callOutcome` for both front ends:
 * - A view that shows the response unfinished (`queued`, `in_progress`) records its call (requests, duration)
 *   with usage source `deferred`: no tokens, no estimate, and not `llm_usage_missing_total`. The id is
 *   remembered with the call's model (so later views of it carry the same `model` label) and provider.
 * - The first view that shows a final state (`completed`, `incomplete`, `failed`, `cancelled`) records the
 *   provider's usage with its call (`reported`); a final state without usage counts as usage missing, once.
 * - Every later view of that id is `deferred` again: its usage is already counted.
 *
 * Bounded: at most {@link RESPONSE_LEDGER_MAX_IDS} ids, each for at most {@link RESPONSE_LEDGER_TTL_MS}, the
 * least recently written forgotten first.
 *
 * @example
 * ```ts
 * import { ResponseLedger } from '@llmeter/core';
 * const ledger = new ResponseLedger();
 * ledger.expect('resp_1', 'gpt-4o');
 * ledger.settle('resp_1'); // true: count its usage now
 * ledger.settle('resp_1'); // false: already counted
 * ```
 */
export class ResponseLedger {
  readonly maxIds: number;
  readonly ttlMs: number;
  readonly #now: () => number;
  /** In order of last write (a `Map` iterates in insertion order; a write re-inserts). */
  readonly #entries = new Map<string, LedgerEntry>();

  constructor(options: ResponseLedgerOptions = {}) {
    this.maxIds = Math.max(1, options.maxIds ?? RESPONSE_LEDGER_MAX_IDS);
    this.ttlMs = options.ttlMs ?? RESPONSE_LEDGER_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Ids remembered now. */
  get size(): number {
    this.#expire();
    return this.#entries.size;
  }

  /**
   * Responses seen started but not yet seen finished (background responses whose usage is still to come). One
   * that no later poll or resume shows finished is never counted: this is how many such there are now.
   */
  get unsettled(): number {
    this.#expire();
    let count = 0;
    for (const entry of this.#entries.values()) if (!entry.settled) count++;
    return count;
  }

  /**
   * {@link ResponseLedger.unsettled} by model label (empty when the call that started the response named none),
   * ignoring providers. At most one entry per distinct model remembered.
   *
   * @example
   * ```ts
   * const ledger = new ResponseLedger();
   * ledger.expect('resp_1', 'gpt-5', 'openai');
   * ledger.pendingByModel(); // Map { 'gpt-5' => 1 }
   * ```
   */
  pendingByModel(): Map<string, number> {
    const byModel = new Map<string, number>();
    for (const { model, count } of this.pending()) byModel.set(model, (byModel.get(model) ?? 0) + count);
    return byModel;
  }

  /**
   * {@link ResponseLedger.unsettled} by provider and model label (each empty when the call that started the
   * response did not give it), what the `*_background_responses_pending` gauge reads. At most one entry per
   * distinct provider and model remembered, in the order each was first met.
   *
   * @example
   * ```ts
   * const ledger = new ResponseLedger();
   * ledger.expect('resp_1', 'gpt-5', 'openai');
   * ledger.expect('resp_2', 'gpt-5', 'openai');
   * ledger.pending(); // [{ provider: 'openai', model: 'gpt-5', count: 2 }]
   * ```
   */
  pending(): PendingResponses[] {
    this.#expire();
    const byKey = new Map<string, PendingResponses>();
    for (const entry of this.#entries.values()) {
      if (entry.settled) continue;
      const key = `${entry.provider}\u0000${entry.model}`;
      const found = byKey.get(key);
      if (found === undefined) byKey.set(key, { provider: entry.provider, model: entry.model, count: 1 });
      else found.count++;
    }
    return [...byKey.values()];
  }

  /** The model label of the call that started response `id`, when this ledger saw it. */
  modelOf(id: string): string | undefined {
    const entry = this.#live(id);
    return entry === undefined || entry.model === '' ? undefined : entry.model;
  }

  /**
   * Notes a response seen unfinished; `model` and `provider` are its call's labels (each kept if one is already
   * known).
   */
  expect(id: string, model: string, provider = ''): void {
    const entry = this.#live(id);
    if (entry?.settled) return;
    this.#write(id, {
      model: entry?.model || model,
      provider: entry?.provider || provider,
      settled: false,
      at: this.#now(),
    });
  }

  /** Notes a response seen in a final state. True the first time: its usage is to be recorded now. */
  settle(id: string, model = '', provider = ''): boolean {
    const entry = this.#live(id);
    if (entry?.settled) return false;
    this.#write(id, {
      model: entry?.model || model,
      provider: entry?.provider || provider,
      settled: true,
      at: this.#now(),
    });
    return true;
  }

  #live(id: string): LedgerEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.at < this.ttlMs) return entry;
    this.#entries.delete(id);
    return undefined;
  }

  #write(id: string, entry: LedgerEntry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    this.#expire();
    while (this.#entries.size > this.maxIds) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Drops expired entries; the oldest come first, so this stops at the first live one. */
  #expire(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (now - entry.at < this.ttlMs) return;
      this.#entries.delete(id);
    }
  }
}

// One ledger per registry: the front ends of one process that record on the same metrics (an instrumented
// client and an in-process proxy) count a response once between them; separate registries count separately.
const ledgers = new WeakMap<Registry, ResponseLedger>();

/**
 * The {@link ResponseLedger} of the metrics on `registry`, shared by every front end recording there.
 *
 * @example
 * ```ts
 * import { createMeter, responseLedgerFor } from '@llmeter/core';
 * const meter = createMeter();
 * responseLedgerFor(meter.registry).unsettled; // background responses not yet seen finished
 * ```
 */
export function responseLedgerFor(registry: Registry): ResponseLedger {
  let ledger = ledgers.get(registry);
  if (ledger === undefined) {
    ledger = new ResponseLedger();
    ledgers.set(registry, ledger);
  }
  return ledger;
}
