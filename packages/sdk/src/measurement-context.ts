import type { Labels, Meter } from '@llmeter/core';
import type { WireFormat } from '@llmeter/core/wire';

/** What every measured call of one instrumented client shares. */
export interface MeasurementContext {
  readonly meter: Meter;
  readonly provider: string;
  readonly format: WireFormat;
  /** The `labels` of `instrument()`; `undefined` when there are none. */
  readonly staticLabels: Labels | undefined;
  readonly injectStreamUsage: boolean;
  /** Hands a measurement failure to the user's `onError`; never throws. */
  report(error: unknown): void;
}
