let warned = false;

/**
 * The default error hook of the front ends: one process warning for the first measurement that failed, then
 * silence, so that a broken measurement never floods the app's logs.
 *
 * @example
 * ```ts
 * import { warnOnce } from '@llmeter/core';
 * const meter = createMeter({ onError: warnOnce }); // the default
 * ```
 */
export function warnOnce(error: unknown): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `llmeter: a measurement failed and was skipped (further failures are not reported): ${String(error)}`,
  );
}

/**
 * Wraps an error hook (default {@link warnOnce}) so that reporting can never throw: a measurement failure, and
 * a hook that itself throws, must never break the caller's call. The one copy of this policy for every front end.
 *
 * @example
 * ```ts
 * const report = errorReporter(options.onError);
 * try { measure(); } catch (error) { report(error); }
 * ```
 */
export function errorReporter(onError: ((error: unknown) => void) | undefined): (error: unknown) => void {
  const hook = onError ?? warnOnce;
  return (error) => {
    try {
      hook(error);
    } catch {
      // A throwing error hook must not break the caller's call either.
    }
  };
}
