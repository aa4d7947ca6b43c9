import type { ModelInfo } from '@pydantic/genai-prices';

const DAY_MS = 86_400_000;
// The time-of-day format genai-prices accepts for its constraints.
const TIME_OF_DAY = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * The first instant after `now` (ms since the epoch) at which `model`'s price may change: a future start date,
 * or the next start or end of a time-of-day window (e.g. DeepSeek's off-peak hours). `Infinity` when the price
 * never changes. A price resolved at `now` stays right until then.
 */
export function nextPriceChange(model: Pick<ModelInfo, 'prices'>, now: number): number {
  if (!Array.isArray(model.prices)) return Number.POSITIVE_INFINITY;
  let next = Number.POSITIVE_INFINITY;
  for (const { constraint } of model.prices) {
    if (constraint === undefined) continue;
    if (constraint.type === 'start_date') {
      const start = new Date(constraint.start_date).getTime();
      if (start > now) next = Math.min(next, start);
    } else {
      for (const time of [constraint.start_time, constraint.end_time]) {
        const at = nextTimeOfDay(time, now);
        if (at !== undefined) next = Math.min(next, at);
      }
    }
  }
  return next;
}

function nextTimeOfDay(time: string, now: number): number | undefined {
  const match = TIME_OF_DAY.exec(time);
  if (match === null) return undefined;
  const [, hours, minutes, seconds, fraction = '', zone, sign, offsetHours = '0', offsetMinutes = '0'] = match;
  const offset = zone === 'Z' ? 0 : (sign === '+' ? 1 : -1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60;
  const local = Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds) + Number(`0.${fraction}`);
  const utcMs = ((((local - offset) % 86_400) + 86_400) % 86_400) * 1000;
  const at = Math.floor(now / DAY_MS) * DAY_MS + utcMs;
  return at > now ? at : at + DAY_MS;
}
