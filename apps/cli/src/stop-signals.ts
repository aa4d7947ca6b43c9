import { constants } from 'node:os';

/** What delivers SIGINT and SIGTERM: `process`, or any emitter a test drives. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

/** How a running command learns that it was asked to stop (the first SIGINT or SIGTERM). */
export interface StopHook {
  /** Aborted at the first SIGINT or SIGTERM, with the signal's name as its reason. */
  readonly signal: AbortSignal;
  /** Resolves with the first signal's name; never, if none comes. */
  readonly requested: Promise<NodeJS.Signals>;
}

/** The exit status of a process that a signal ended: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * Watches SIGINT and SIGTERM on `source`: the first aborts the returned hook's signal (stop cleanly), the second
 * calls `onSecond` (the operator does not want to wait). `dispose` removes the handlers.
 * @example
 * ```ts
 * const watch = watchStopSignals(process, (signal) => process.exit(signalExitStatus(signal)));
 * await server.closeWhen(watch.stop.requested);
 * watch.dispose();
 * ```
 */
export function watchStopSignals(
  source: SignalSource,
  onSecond: (signal: NodeJS.Signals) => void,
): { stop: StopHook; dispose(): void } {
  const controller = new AbortController();
  const requested = new Promise<NodeJS.Signals>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve(controller.signal.reason as NodeJS.Signals), {
      once: true,
    });
  });
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) onSecond(signal);
    else controller.abort(signal);
  };
  source.on('SIGINT', handler);
  source.on('SIGTERM', handler);
  return {
    stop: { signal: controller.signal, requested },
    dispose: () => {
      source.off('SIGINT', handler);
      source.off('SIGTERM', handler);
    },
  };
}
