/** USD per million tokens. */
export interface ModelPrice {
  /** Prompt tokens, and any cached or cache-write token without a price of its own. */
  input: number;
  /** Completion tokens, reasoning included. */
  output: number;
  /** Prompt tokens read from the provider's cache. Charged at `input` when absent. */
  cachedInput?: number;
  /** Prompt tokens written to the provider's cache. Charged at `input` when absent. */
  cacheWrite?: number;
}

/**
 * User prices that win over the bundled ones. Keyed by model name (`gpt-4o`), or `provider/model`
 * (`azure/gpt-4o`) to apply to one provider only; keys match case-insensitively and exactly (an override for
 * `gpt-4o` does not cover `gpt-4o-2024-08-06`).
 */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** Thrown when an override is not a usable price. */
export class InvalidPriceError extends Error {
  override readonly name = 'InvalidPriceError';
  /** The override key that was rejected. */
  readonly model: string;

  constructor(model: string, message: string) {
    super(`llmeter: invalid price for "${model}": ${message}`);
    this.model = model;
  }
}

const REQUIRED_FIELDS = ['input', 'output'] as const;
const OPTIONAL_FIELDS = ['cachedInput', 'cacheWrite'] as const;

/** Throws {@link InvalidPriceError} unless `price` is a {@link ModelPrice} of finite, non-negative numbers. */
export function validatePrice(model: string, price: unknown): asserts price is ModelPrice {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new InvalidPriceError(String(model), 'the model name must be a non-empty string');
  }
  if (typeof price !== 'object' || price === null) {
    throw new InvalidPriceError(model, `expected an object like { input, output }, got ${String(price)}`);
  }
  const fields = price as Record<string, unknown>;
  for (const field of REQUIRED_FIELDS) checkNumber(model, field, fields[field]);
  for (const field of OPTIONAL_FIELDS) {
    if (fields[field] !== undefined) checkNumber(model, field, fields[field]);
  }
}

function checkNumber(model: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidPriceError(
      model,
      `${field} must be a finite number >= 0 (USD per million tokens), got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
}
