import { BUDGET_PERIODS, type BudgetPeriod } from './metric-contract.js';

/**
 * A spending budget: calls whose labels match every one of `labels` (`team`, `feature`, `model`, `provider`…)
 * count against `usd` in each UTC calendar `period`.
 */
export interface Budget {
  /** The labels a call must have to count against it; `{}` counts every call. */
  labels: Readonly<Record<string, string>>;
  /** The budget, in US dollars per period. */
  usd: number;
  period: BudgetPeriod;
}

/** A budget that cannot be kept: a bad amount, period or label. */
export class BudgetConfigError extends Error {
  override readonly name = 'BudgetConfigError';
}

const DAY_MS = 86_400_000;

/**
 * When the UTC calendar period holding `now` (epoch milliseconds) started: midnight of the day, Monday of the
 * ISO week, the first of the month.
 *
 * @example
 * ```ts
 * periodStart(Date.parse('2026-11-30T05:00:00Z'), 'month'); // Date.parse('2026-11-01T00:00:00Z')
 * ```
 */
export function periodStart(now: number, period: BudgetPeriod): number {
  const date = new Date(now);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === 'day') return midnight;
  if (period === 'week') return midnight - ((date.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** One budget and its spend in the current period. */
export interface TrackedBudget {
  readonly budget: Budget;
  /** The budget's labels as the metrics carry them: every budget label name, `''` where it sets none. */
  readonly labels: Readonly<Record<string, string>>;
  /** USD spent in the period that started at {@link TrackedBudget.since}. */
  spent: number;
  since: number;
}

/** The budgets of one meter, and what each has spent in its current period. */
export class BudgetTracker {
  /** Label names of the budget metrics, `period` last. */
  readonly labelNames: readonly string[];
  readonly tracked: readonly TrackedBudget[];

  /**
   * @param matchable the label names a call carries (`provider`, `model`, `operation`, the user labels): a budget
   *   on any other label would never match, and is refused.
   */
  constructor(budgets: readonly Budget[], matchable: readonly string[], now: number = Date.now()) {
    const names = new Set<string>();
    budgets.forEach((budget, index) => {
      const where = `budgets[${index}]`;
      if (!Number.isFinite(budget.usd) || budget.usd <= 0) {
        throw new BudgetConfigError(`llmeter: ${where}.usd must be a positive number of US dollars`);
      }
      if (!BUDGET_PERIODS.includes(budget.period)) {
        throw new BudgetConfigError(`llmeter: ${where}.period must be one of ${BUDGET_PERIODS.join(', ')}`);
      }
      for (const [name, value] of Object.entries(budget.labels)) {
        if (!matchable.includes(name)) {
          throw new BudgetConfigError(
            `llmeter: ${where} is on label "${name}", which calls do not carry (they carry ${matchable.join(', ')})`,
          );
        }
        if (typeof value !== 'string' || value === '') {
          throw new BudgetConfigError(`llmeter: ${where}.labels.${name} must be a non-empty string`);
        }
        names.add(name);
      }
    });
    const sorted = [...names].sort();
    this.labelNames = [...sorted, 'period'];
    this.tracked = budgets.map((budget) => ({
      budget,
      labels: Object.fromEntries([
        ...sorted.map((name) => [name, budget.labels[name] ?? '']),
        ['period', budget.period],
      ]),
      spent: 0,
      since: periodStart(now, budget.period),
    }));
  }

  /** Adds `usd` to every budget whose labels `callLabels` all have; a new period starts from 0. */
  spend(callLabels: Readonly<Record<string, string>>, usd: number, now: number = Date.now()): void {
    for (const one of this.tracked) {
      let matches = true;
      for (const name in one.budget.labels) {
        if (callLabels[name] !== one.budget.labels[name]) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      this.roll(one, now);
      one.spent += usd;
    }
  }

  /** Starts a budget's new period (its spend back to 0) once `now` is past the one it counts. */
  roll(one: TrackedBudget, now: number = Date.now()): void {
    const since = periodStart(now, one.budget.period);
    if (since !== one.since) {
      one.since = since;
      one.spent = 0;
    }
  }
}
