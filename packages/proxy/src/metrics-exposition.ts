import { setImmediate as nextTurn } from 'node:timers/promises';
import { PrometheusTextRenderer } from '@llmeter/core';
import { Registry } from 'prom-client';

/** One render under way, and the scrapes waiting for it. */
interface Flight {
  readonly bytes: Promise<Buffer[] | undefined>;
  readonly controller: AbortController;
  waiting: number;
}

/**
 * Renders a registry's Prometheus text for `GET /metrics` so that scrapes cannot pile up behind one another:
 *
 * - Single flight: a scrape that arrives while a render is under way waits for that render and gets its text,
 *   instead of starting another one.
 * - A scrape whose client has already gone is not rendered; a render whose every waiting scrape has gone stops
 *   at the next metric.
 * - The render yields to the event loop between metrics, so calls through the proxy keep flowing while a large
 *   exposition is built; the longest pause is the time of the largest metric, not of the whole text. Metrics
 *   are therefore read one after another, not at one instant (as in most Prometheus clients): a call recorded
 *   during a render can show in one metric and not yet in another.
 *
 * - Rendered by a {@link PrometheusTextRenderer}: the text is byte for byte what `registry.metrics()` gives, and
 *   series that did not change since the last scrape are neither formatted nor encoded again
 *   ({@link MetricsExposition.renderBuffers} gives the encoded pieces, to write as they are).
 *
 * An OpenMetrics registry is rendered by `registry.metrics()` in one go (still in single flight).
 *
 * @example
 * ```ts
 * const exposition = new MetricsExposition(registry);
 * const text = await exposition.render(request.signal); // undefined when the client went away
 * const bytes = await exposition.renderBuffers(request.signal); // the same, as UTF-8 pieces
 * ```
 */
export class MetricsExposition {
  private flight: Flight | undefined;
  private readonly renderer: PrometheusTextRenderer;

  constructor(private readonly registry: Registry) {
    this.renderer = new PrometheusTextRenderer(registry);
  }

  /** Scrapes waiting for the render under way; 0 when none is under way. */
  get waiting(): number {
    return this.flight?.waiting ?? 0;
  }

  /**
   * The exposition text, or undefined when `signal` aborted first (the client went away): then nothing is
   * rendered for it.
   */
  async render(signal?: AbortSignal): Promise<string | undefined> {
    const bytes = await this.renderBuffers(signal);
    return bytes === undefined ? undefined : Buffer.concat(bytes).toString('utf8');
  }

  /**
   * The exposition as UTF-8 pieces to write one after another, or undefined when `signal` aborted first. The
   * buffers are shared with later renders: write them, never change them.
   */
  async renderBuffers(signal?: AbortSignal): Promise<Buffer[] | undefined> {
    // Two turns of the event loop first, so that one poll for I/O runs in between: a client that hung up while
    // the loop was busy (a scraper that timed out during an earlier render) has its request read in one poll
    // and the end of its connection in the next; it is then seen gone before anything is rendered for it.
    await nextTurn();
    await nextTurn();
    if (signal?.aborted) return undefined;
    const flight = this.flight ?? this.takeOff();
    flight.waiting++;
    let leave: (() => void) | undefined;
    const left = new Promise<undefined>((resolve) => {
      leave = () => {
        flight.waiting--;
        if (flight.waiting === 0) {
          flight.controller.abort();
          // Later scrapes start a render of their own rather than join one that is stopping.
          if (this.flight === flight) this.flight = undefined;
        }
        resolve(undefined);
      };
      signal?.addEventListener('abort', leave, { once: true });
    });
    try {
      return await Promise.race([flight.bytes, left]);
    } finally {
      if (leave) signal?.removeEventListener('abort', leave);
      if (!signal?.aborted) flight.waiting--;
    }
  }

  private takeOff(): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      waiting: 0,
      bytes: this.renderAll(controller.signal).finally(() => {
        if (this.flight === flight) this.flight = undefined;
      }),
    };
    this.flight = flight;
    return flight;
  }

  private async renderAll(stop: AbortSignal): Promise<Buffer[] | undefined> {
    const registry = this.registry;
    if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return [Buffer.from(await registry.metrics())];
    const parts: Buffer[] = [];
    // The same text as `registry.metrics()`, one metric per turn of the event loop.
    for (const metric of registry.getMetricsAsArray()) {
      if (parts.length > 0) {
        await nextTurn();
        parts.push(BETWEEN_METRICS);
      }
      if (stop.aborted) return undefined;
      parts.push(...(await this.renderer.renderMetricBuffers(metric)));
    }
    parts.push(END);
    return parts;
  }
}

const BETWEEN_METRICS = Buffer.from('\n\n');
const END = Buffer.from('\n');
