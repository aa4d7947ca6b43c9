import { ConfigError } from '@llmeter/proxy/config';

/** What a numeric option must be. */
export interface NumberRule {
  integer?: boolean;
  /** Exclusive lower bound. */
  above?: number;
  min?: number;
  max?: number;
}

/** A TCP port, 0 for any free one. */
export const PORT: NumberRule = { integer: true, min: 0, max: 65_535 };
/** A number above 0 (a rate, a duration, a speed). */
export const POSITIVE: NumberRule = { above: 0 };
/** Any integer (a seed). */
export const INTEGER: NumberRule = { integer: true };

/**
 * A numeric flag or environment value; `undefined` when it is absent.
 * @throws {ConfigError} naming the option, when the value is not a number the rule allows.
 * @example
 * ```ts
 * numberOption('--port', '8787', PORT); // 8787
 * numberOption('--port', 'http', PORT); // throws ConfigError: --port must be an integer, got "http"
 * ```
 */
export function numberOption(name: string, value: string | undefined, rule: NumberRule = {}): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || (rule.integer && !Number.isInteger(number))) {
    throw new ConfigError(`${name} must be ${rule.integer ? 'an integer' : 'a number'}, got "${value}"`);
  }
  if (rule.above !== undefined && number <= rule.above) {
    throw new ConfigError(`${name} must be above ${rule.above}, got "${value}"`);
  }
  if ((rule.min !== undefined && number < rule.min) || (rule.max !== undefined && number > rule.max)) {
    throw new ConfigError(`${name} must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}, got "${value}"`);
  }
  return number;
}

/** An environment value, with an empty one read as unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
