import type { Usage } from '../record.js';
import type { ModelPrice } from './model-price.js';

/** A price that depends on the request's total input tokens; `tiers` sorted by `start`, ascending. */
interface TierTable {
  readonly base: number;
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

/** A price per `per` units: a plain number or a tier table. */
type Rate = number | TierTable;

/**
 * A model's price reduced to what llmeter's {@link Usage} can be charged for, so that a call's cost is plain
 * arithmetic. Token rates are USD per million; an absent rate means those tokens have no price of their own
 * and are charged as their parent (`cacheRead`/`cacheWrite` as input, `reasoning` as output).
 */
export interface CompiledPrice {
  readonly input: Rate;
  readonly output: Rate;
  readonly cacheRead: Rate | undefined;
  readonly cacheWrite: Rate | undefined;
  readonly reasoning: Rate | undefined;
  /** USD per thousand requests, for providers that charge per call. */
  readonly requests: Rate | undefined;
}

/** A genai-prices price: price key (`input_mtok`, …) to a number or `{ base, tiers }`. */
type BundledPrice = Readonly<Record<string, unknown>>;

/**
 * Compiles a genai-prices model price. Returns `undefined` when the model has no per-token price (e.g. one
 * billed per audio hour only): charging such a call 0 would be a guess.
 *
 * Keys other than the ones compiled here price usage llmeter never reports (audio, images, web searches),
 * which genai-prices would charge 0 for as well.
 */
export function compileBundledPrice(price: BundledPrice): CompiledPrice | undefined {
  const input = toRate(price.input_mtok);
  const output = toRate(price.output_mtok);
  if (input === undefined && output === undefined) return undefined;
  return {
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: toRate(price.cache_read_mtok),
    cacheWrite: toRate(price.cache_write_mtok),
    reasoning: toRate(price.output_reasoning_mtok),
    requests: toRate(price.requests_kcount),
  };
}

/** Compiles a user's {@link ModelPrice}; cached and cache-write tokens default to the input price. */
export function compileModelPrice(price: ModelPrice): CompiledPrice {
  return {
    input: price.input,
    output: price.output,
    cacheRead: price.cachedInput ?? price.input,
    cacheWrite: price.cacheWrite ?? price.input,
    reasoning: undefined,
    requests: undefined,
  };
}

/**
 * USD for `usage` at `price`, computed the way genai-prices' `calcPrice` does:
 * - tokens with a price of their own are taken out of their parent (cache reads and writes out of input,
 *   reasoning out of output) and charged at their own rate; the rest of the parent at the parent's rate;
 * - a tiered rate is chosen by the request's TOTAL input tokens (cache included), strictly above a tier's
 *   `start`, and applies to every token of that kind in the request (not marginally);
 * - a per-request price is charged once per call.
 *
 * Counts that do not add up (cached plus cache-write above input) are clamped at 0 rather than thrown on, since
 * this runs on every call; genai-prices rejects such usage.
 */
export function costOf(price: CompiledPrice, usage: Usage): number {
  const tierInput = usage.input;
  let inputLeft = usage.input;
  let input = 0;
  if (price.cacheRead !== undefined) {
    inputLeft -= usage.cachedInput;
    input += charge(price.cacheRead, usage.cachedInput, tierInput, 1e6);
  }
  if (price.cacheWrite !== undefined) {
    inputLeft -= usage.cacheWrite;
    input += charge(price.cacheWrite, usage.cacheWrite, tierInput, 1e6);
  }
  input += charge(price.input, inputLeft, tierInput, 1e6);

  let outputLeft = usage.output;
  let output = 0;
  if (price.reasoning !== undefined) {
    outputLeft -= usage.reasoning;
    output += charge(price.reasoning, usage.reasoning, tierInput, 1e6);
  }
  output += charge(price.output, outputLeft, tierInput, 1e6);

  const other = price.requests === undefined ? 0 : charge(price.requests, 1, tierInput, 1e3);
  return input + output + other;
}

function charge(rate: Rate, count: number, tierInput: number, per: number): number {
  if (!(count > 0)) return 0;
  return ((typeof rate === 'number' ? rate : tierRate(rate, tierInput)) * count) / per;
}

function tierRate(table: TierTable, tierInput: number): number {
  let rate = table.base;
  for (const tier of table.tiers) {
    if (tierInput > tier.start) rate = tier.price;
  }
  return rate;
}

function toRate(value: unknown): Rate | undefined {
  if (isPrice(value)) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (!isPrice(base) || !Array.isArray(tiers)) return undefined;
  const sorted: { start: number; price: number }[] = [];
  for (const tier of tiers as unknown[]) {
    const { start, price } = (tier ?? {}) as { start?: unknown; price?: unknown };
    if (!isPrice(start) || !isPrice(price)) return undefined;
    sorted.push({ start, price });
  }
  sorted.sort((a, b) => a.start - b.start);
  return { base, tiers: sorted };
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
