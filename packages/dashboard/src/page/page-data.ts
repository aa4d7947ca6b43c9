import type { DashboardData } from '@llmeter/dashboard';

/**
 * What `JSON.stringify` makes of a `T`: any number may arrive as `null` (NaN and ±Infinity do; an unknown
 * quantile is NaN on the server), so the page has to say what it shows then.
 */
export type Json<T> = T extends number
  ? number | null
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** The `data` route's answer, as the page receives it. */
export type PageData = Json<DashboardData>;

/** The charts of {@link PageData}. */
export type PageCharts = PageData['charts'];

/** One model's line of the table (and the totals). */
export type PageModel = PageData['total'];
