import type { Usage } from '../record.js';
import type { ModelPrice } from './model-price.js';

/** A price that depends on the request's total input tokens; `tiers` sorted by `start`, ascending. */
interface TierTable {
  readonly base: number;
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

/** A price per `per` units: a plain number or a tier table. */
type Rate = number | TierTable;

/** The usage units llmeter reports, as genai-prices names them (its `usage` keys). */
type UnitKey =
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'cache_write_1h_tokens'
  | 'input_audio_tokens'
  | 'cache_audio_read_tokens'
  | 'output_audio_tokens'
  | 'output_reasoning_tokens'
  | 'web_searches'
  | 'code_executions'
  | 'requests';

interface UnitDef {
  readonly key: UnitKey;
  readonly priceKey: string;
  readonly per: number;
  /** genai-prices' dimensions of the unit: a unit whose dimensions include another's is a part of it. */
  readonly dimensions: Readonly<Record<string, string>>;
}

const INPUT = { direction: 'input', family: 'tokens' };
const OUTPUT = { direction: 'output', family: 'tokens' };

// The units of genai-prices (its prices/units.yml) that llmeter's Usage can fill, with their dimensions as
// genai-prices defines them. A priced unit llmeter never reports (images, video, pages) is charged 0 there too.
const UNITS: readonly UnitDef[] = [
  { key: 'input_tokens', priceKey: 'input_mtok', per: 1e6, dimensions: INPUT },
  { key: 'output_tokens', priceKey: 'output_mtok', per: 1e6, dimensions: OUTPUT },
  {
    key: 'cache_read_tokens',
    priceKey: 'cache_read_mtok',
    per: 1e6,
    dimensions: { ...INPUT, token_type: 'cache_read' },
  },
  {
    key: 'cache_write_tokens',
    priceKey: 'cache_write_mtok',
    per: 1e6,
    dimensions: { ...INPUT, token_type: 'cache_write' },
  },
  {
    key: 'cache_write_1h_tokens',
    priceKey: 'cache_write_1h_mtok',
    per: 1e6,
    dimensions: { ...INPUT, token_type: 'cache_write', cache_ttl: '1h' },
  },
  { key: 'input_audio_tokens', priceKey: 'input_audio_mtok', per: 1e6, dimensions: { ...INPUT, modality: 'audio' } },
  {
    key: 'cache_audio_read_tokens',
    priceKey: 'cache_audio_read_mtok',
    per: 1e6,
    dimensions: { ...INPUT, modality: 'audio', token_type: 'cache_read' },
  },
  { key: 'output_audio_tokens', priceKey: 'output_audio_mtok', per: 1e6, dimensions: { ...OUTPUT, modality: 'audio' } },
  {
    key: 'output_reasoning_tokens',
    priceKey: 'output_reasoning_mtok',
    per: 1e6,
    dimensions: { ...OUTPUT, token_type: 'reasoning' },
  },
  {
    key: 'web_searches',
    priceKey: 'web_searches_kcount',
    per: 1e3,
    dimensions: { family: 'tool_calls', tool_type: 'web_search' },
  },
  {
    key: 'code_executions',
    priceKey: 'code_executions_kcount',
    per: 1e3,
    dimensions: { family: 'tool_calls', tool_type: 'code_execution' },
  },
  { key: 'requests', priceKey: 'requests_kcount', per: 1e3, dimensions: { family: 'requests' } },
];

/** One priced unit of a model, with the priced units that are parts of it. */
interface PricedUnit {
  readonly key: UnitKey;
  readonly rate: Rate;
  readonly per: number;
  /** Indexes (into {@link CompiledPrice.units}, all smaller than this unit's) of its priced parts. */
  readonly parts: readonly number[];
}

/**
 * A model's price reduced to the units llmeter's {@link Usage} reports, ordered most specific first, so that a
 * call's cost is plain arithmetic over a handful of entries.
 */
export interface CompiledPrice {
  readonly units: readonly PricedUnit[];
  /** Whether any rate is tiered (tiers are chosen by the request's total input tokens). */
  readonly tiered: boolean;
}

/** A genai-prices price: price key (`input_mtok`, …) to a number or `{ base, tiers }`. */
type BundledPrice = Readonly<Record<string, unknown>>;

/**
 * Compiles a genai-prices model price. Returns `undefined` when the model has no per-token price (e.g. one
 * billed per audio hour only): charging such a call 0 would be a guess.
 */
export function compileBundledPrice(price: BundledPrice): CompiledPrice | undefined {
  if (toRate(price.input_mtok) === undefined && toRate(price.output_mtok) === undefined) return undefined;
  const rates = new Map<UnitKey, Rate>();
  for (const unit of UNITS) {
    const rate = toRate(price[unit.priceKey]);
    if (rate !== undefined) rates.set(unit.key, rate);
  }
  return compile(rates);
}

/** Compiles a user's {@link ModelPrice}; cached and cache-write tokens default to the input price. */
export function compileModelPrice(price: ModelPrice): CompiledPrice {
  return compile(
    new Map<UnitKey, Rate>([
      ['input_tokens', price.input],
      ['output_tokens', price.output],
      ['cache_read_tokens', price.cachedInput ?? price.input],
      ['cache_write_tokens', price.cacheWrite ?? price.input],
    ]),
  );
}

function compile(rates: ReadonlyMap<UnitKey, Rate>): CompiledPrice {
  // genai-prices' order: more dimensions (more specific) first, then by key, so parts come before wholes.
  const defs = UNITS.filter((unit) => rates.has(unit.key)).sort(
    (a, b) => Object.keys(b.dimensions).length - Object.keys(a.dimensions).length || a.key.localeCompare(b.key),
  );
  const units = defs.map((def, index) => ({
    key: def.key,
    rate: rates.get(def.key) ?? 0,
    per: def.per,
    parts: defs.flatMap((other, otherIndex) => (otherIndex !== index && isPartOf(other, def) ? [otherIndex] : [])),
  }));
  return { units, tiered: units.some((unit) => typeof unit.rate !== 'number') };
}

function isPartOf(part: UnitDef, whole: UnitDef): boolean {
  return Object.entries(whole.dimensions).every(([name, value]) => part.dimensions[name] === value);
}

/** The count of one unit in a call's usage. */
function unitCount(usage: Usage, key: UnitKey): number {
  switch (key) {
    case 'input_tokens':
      return usage.input;
    case 'output_tokens':
      return usage.output;
    case 'cache_read_tokens':
      return usage.cachedInput;
    case 'cache_write_tokens':
      return usage.cacheWrite;
    case 'cache_write_1h_tokens':
      return usage.cacheWrite1h ?? 0;
    case 'input_audio_tokens':
      return usage.audioInput ?? 0;
    case 'cache_audio_read_tokens':
      // No provider llmeter reads reports cached audio apart from cached text.
      return 0;
    case 'output_audio_tokens':
      return usage.audioOutput ?? 0;
    case 'output_reasoning_tokens':
      return usage.reasoning;
    case 'web_searches':
      return usage.serverToolCalls?.web_search ?? 0;
    case 'code_executions':
      return usage.serverToolCalls?.code_execution ?? 0;
    case 'requests':
      return 1;
  }
}

/**
 * USD for `usage` at `price`, computed the way genai-prices' `calcPrice` does: each priced unit is charged
 * for its count less the counts of its priced parts (cache reads, cache writes and audio out of input, 1-hour
 * writes out of cache writes, reasoning and audio out of output); a tiered rate is chosen by the request's
 * TOTAL input tokens, strictly above a tier's `start`, and applies to every unit of that kind (not
 * marginally); a per-request price is charged once per call.
 *
 * Counts that do not add up (parts above their whole) are clamped at 0 rather than thrown on, since this runs
 * on every call; genai-prices rejects such usage.
 */
export function costOf(price: CompiledPrice, usage: Usage): number {
  const units = price.units;
  const tierInput = price.tiered ? usage.input : 0;
  const leaves: number[] = [];
  let total = 0;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i] as PricedUnit;
    let leaf = unitCount(usage, unit.key);
    for (const part of unit.parts) leaf -= leaves[part] ?? 0;
    if (leaf < 0) leaf = 0;
    leaves.push(leaf);
    total += charge(unit.rate, leaf, tierInput, unit.per);
  }
  return total;
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
