/**
 * How long a test of a month budget's forecast waits before it starts, in ms: 0, unless fewer than `marginMs`
 * are left of the calendar month (UTC, as the budgets and the forecast rule count it); then until the next month
 * has begun (and `settleMs` more). In a month's last minutes the forecast rule rightly stops predicting an overrun
 * (little time is left to spend in), and a test that runs across the month's end sees its budgets start over.
 * @example
 * ```ts
 * monthEndWaitMs(new Date('2026-11-30T23:55:00Z'), 600_000); // 302_000: five minutes, and two seconds
 * monthEndWaitMs(new Date('2026-11-15T12:00:00Z'), 600_000); // 0
 * ```
 */
export function monthEndWaitMs(now: Date, marginMs: number, settleMs = 2_000): number {
  const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const left = nextMonth - now.getTime();
  return left < marginMs ? left + settleMs : 0;
}
