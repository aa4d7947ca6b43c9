import { createMeter, errorReporter, type Labels, type Meter } from '@llmeter/core';
import type { InstrumentOptions } from './instrument.js';

/** What a front end of this package (`instrument()`, the AI SDK middlewares) records with, from its options. */
export interface MeterSetup {
  meter: Meter;
  /** The `labels` option, copied; `undefined` when there are none. */
  staticLabels: Labels | undefined;
  /** Hands a measurement failure to the `onError` option; never throws. */
  report: (error: unknown) => void;
}

/**
 * The meter, labels and error reporter that the options of `instrument()` (or of a middleware, which takes the
 * same ones) describe: the given `meter`, or a new one declaring the static labels and `labelNames`.
 */
export function meterSetup(options: Omit<InstrumentOptions, 'injectStreamUsage' | 'provider'>): MeterSetup {
  const report = errorReporter(options.onError);
  const staticLabels = options.labels && Object.keys(options.labels).length > 0 ? { ...options.labels } : undefined;
  const meter =
    options.meter ??
    createMeter({
      registry: options.registry,
      prefix: options.prefix,
      labelNames: [...Object.keys(staticLabels ?? {}), ...(options.labelNames ?? [])],
      prices: options.prices,
      limits: options.limits,
      budgets: options.budgets,
      buckets: options.buckets,
      onError: report,
    });
  return { meter, staticLabels, report };
}
