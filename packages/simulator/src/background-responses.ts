import { randomBytes } from 'node:crypto';

/**
 * The most background responses a simulator keeps; past it the oldest is forgotten (a poll of it gets a 404, as
 * from the real API once a background response expired).
 */
export const MAX_BACKGROUND_RESPONSES = 1000;

/** One background response as the simulator stores it. */
export interface BackgroundResponse {
  /** The response object in each state it passes through: `queued`, `in_progress`, then its final one. */
  queued: Record<string, unknown>;
  inProgress: Record<string, unknown>;
  completed: Record<string, unknown>;
  /** Every event of its stream, as SSE frames, with their `sequence_number`s (empty when not created streaming). */
  events: readonly { sequence: number; frame: string }[];
}

interface Stored extends BackgroundResponse {
  /** Which state a poll shows next: 0 queued, 1 in progress, 2 final. */
  step: number;
  cancelled: Record<string, unknown> | undefined;
}

/**
 * The background responses (`background: true`) a simulator created, so that they can be polled
 * (`GET /v1/responses/{id}`), resumed (`?stream=true&starting_after=N`) and cancelled
 * (`POST /v1/responses/{id}/cancel`). Deterministic: each poll moves a response one state on, so the first poll
 * shows it `in_progress` and the second and later ones `completed`, with its usage.
 */
export class BackgroundResponses {
  /**
   * A random tag every response id of this simulator carries (`resp_{tag}sim…`): a response id is what a
   * measuring front end counts a response's usage once by, so two simulators, or one restarted, must never hand
   * out the same one (the other ids count up from 1 in each simulator).
   */
  readonly idTag = randomBytes(3).toString('hex');
  readonly #byId = new Map<string, Stored>();

  /** Stores a response just created (it is `queued`). */
  add(id: string, response: BackgroundResponse): void {
    this.#byId.set(id, { ...response, step: 0, cancelled: undefined });
    if (this.#byId.size > MAX_BACKGROUND_RESPONSES) {
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#byId.delete(oldest.value);
    }
  }

  /** The response's state after one more step (a poll); `undefined` for an unknown id. */
  poll(id: string): Record<string, unknown> | undefined {
    const stored = this.#byId.get(id);
    if (stored === undefined) return undefined;
    if (stored.cancelled !== undefined) return stored.cancelled;
    stored.step = Math.min(2, stored.step + 1);
    return stored.step === 1 ? stored.inProgress : stored.completed;
  }

  /**
   * The stream's frames after sequence number `startingAfter` (all of them when it is undefined), to the final
   * event; the response is then completed. `undefined` for an unknown id or one not created streaming.
   */
  resume(id: string, startingAfter: number | undefined): string[] | undefined {
    const stored = this.#byId.get(id);
    if (stored === undefined || stored.events.length === 0) return undefined;
    stored.step = 2;
    const after = startingAfter ?? -1;
    return stored.events.filter((event) => event.sequence > after).map((event) => event.frame);
  }

  /**
   * Cancels the response: a response not yet final becomes `cancelled` (with the usage of what it generated,
   * which the provider bills); a final one is returned as it is. `undefined` for an unknown id.
   */
  cancel(id: string): Record<string, unknown> | undefined {
    const stored = this.#byId.get(id);
    if (stored === undefined) return undefined;
    if (stored.step === 2) return stored.completed;
    stored.cancelled ??= { ...stored.completed, status: 'cancelled', output: [] };
    return stored.cancelled;
  }

  clear(): void {
    this.#byId.clear();
  }
}
