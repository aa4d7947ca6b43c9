import { readFileSync } from 'node:fs';
import type { Budget, CardinalityLimits, PriceOverrides } from '@llmeter/core';
import * as v from 'valibot';
import { parse as parseYaml } from 'yaml';

// This module is what `llmeter --help` and usage errors load: it must stay free of runtime imports of
// @llmeter/core (prices, prom-client). Types only.

/** A configuration that cannot be used: a bad flag, a bad config file, a bad value. The message says which. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** How streams whose client did not ask for usage are measured. */
export type StreamUsageMode = 'inject' | 'passthrough';

/** pino's levels, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every {@link StreamUsageMode}, the default first. */
export const STREAM_USAGE_MODES: readonly StreamUsageMode[] = ['inject', 'passthrough'];
/** Every {@link LogLevel}, from the fewest lines to the most, then `silent`. */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** One upstream: where `/NAME/...` requests go, and the `provider` label of their metrics. */
export interface Upstream {
  readonly name: string;
  readonly url: URL;
}

/** Byte limits of what the proxy reads. */
export interface BodyLimits {
  /** Largest JSON request body accepted (it is read whole to learn `model` and `stream`); larger ones get 413. */
  requestBodyBytes: number;
  /** Largest non-streamed response body read for its usage; larger ones pass through unmeasured. */
  responseBodyBytes: number;
}

/** Time limits, in milliseconds. */
export interface Timeouts {
  /** The upstream's silence, before its headers or between body bytes, after which the call fails (504). */
  upstreamMs: number;
  /** How long a shutdown waits for calls in flight before cutting them. */
  shutdownMs: number;
}

/** A complete proxy configuration, after defaults, config file, environment and flags were merged. */
export interface ProxyConfig {
  host: string;
  port: number;
  /** In order; the first is the default route. */
  upstreams: readonly Upstream[];
  /** Label names clients may set with `x-llmeter-label-NAME`. */
  labelHeaders: readonly string[];
  /**
   * Host names (lower-case, no trailing dot), `.domain` suffixes or `*` that the proxy's own routes answer to, on
   * top of IP literals, `localhost` and the listen host; see `host-guard.ts`.
   */
  allowedHosts: readonly string[];
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`; from `metricsToken` or `metricsTokenFile`. */
  metricsToken: string | undefined;
  streamUsage: StreamUsageMode;
  logLevel: LogLevel;
  prices: PriceOverrides;
  /** Spending budgets, exported as `llm_budget_usd` and `llm_budget_spent_usd`. */
  budgets: readonly Budget[];
  /** When set, each call gets a `key_id` label: a salted HMAC of its API key (see key-id.ts). */
  keyIdSalt: string | undefined;
  cardinality: CardinalityLimits;
  limits: BodyLimits;
  timeouts: Timeouts;
  /** Worker processes sharing the port (`llmeter proxy --workers`); `auto` is one per core. 1: one process. */
  workers: number | 'auto';
}

/** The `limits` setting: body sizes, and the cardinality guard's limits. */
export interface LimitsInput {
  requestBodyBytes?: number | undefined;
  responseBodyBytes?: number | undefined;
  /** Distinct values of the `model` label; the rest become `other`. Default 200. */
  models?: number | undefined;
  /** Distinct values of each client label; the rest become `other`. Default 50. */
  labelValues?: number | undefined;
  /**
   * Distinct label sets (provider, model, operation, client labels) kept; calls with a new combination past it
   * are folded into an overflow label set and counted in `llm_series_overflow_total`. Default 2000.
   */
  series?: number | undefined;
}

/**
 * Any part of the settings, as a config file, the environment, flags or a program give them (upstreams as
 * `NAME → URL`). The YAML config file has exactly these keys.
 */
export interface ProxyConfigInput {
  host?: string | undefined;
  port?: number | undefined;
  upstreams?: Readonly<Record<string, string>> | undefined;
  labelHeaders?: readonly string[] | undefined;
  /**
   * More names the proxy's own routes (`/metrics`, `/dashboard`) answer to, in the `Host` header: a name, a
   * `.domain` suffix (the domain and its subdomains), or `*` for any. IP literals, `localhost` and the listen host
   * are always allowed; `/healthz` answers any `Host`.
   */
  allowedHosts?: readonly string[] | undefined;
  /** Never empty: an empty token would turn authentication off. */
  metricsToken?: string | undefined;
  /**
   * A file holding the metrics token (its trailing line breaks dropped), so that the token is not on a command
   * line (`ps` shows those) or in the config file. The other way to give {@link metricsToken}: a layer sets one.
   */
  metricsTokenFile?: string | undefined;
  streamUsage?: StreamUsageMode | undefined;
  logLevel?: LogLevel | undefined;
  /** USD per million tokens, by model; wins over the bundled prices. */
  prices?: PriceOverrides | undefined;
  /**
   * Spending budgets: `[{ labels: { team: ads }, usd: 500, period: month }]`, on `provider`, `model`,
   * `operation` or a label of {@link labelHeaders}, per UTC `day`, `week` (from Monday) or `month`.
   */
  budgets?: readonly Budget[] | undefined;
  /**
   * Opt-in: label each call with `key_id`, the first 12 hex characters of HMAC-SHA256(salt, its API key), so
   * that spend shows per key without the key. At least 16 characters; keep it secret (an id can be checked
   * against a guessed key with it).
   */
  keyIdSalt?: string | undefined;
  limits?: LimitsInput | undefined;
  timeouts?: Partial<Timeouts> | undefined;
  /**
   * Worker processes of `llmeter proxy` sharing the port (`node:cluster`), or `auto` for one per core. Default 1
   * (one process). `startProxy` runs one process whatever this says; the CLI runs the workers.
   */
  workers?: number | 'auto' | undefined;
}

/** The upstreams used when none are configured; the first is the default route. */
export const DEFAULT_UPSTREAMS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  // The Gemini API: a Gen AI SDK client's base URL becomes `http://127.0.0.1:8787/gemini`.
  gemini: 'https://generativelanguage.googleapis.com',
};

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

export const DEFAULT_LIMITS: Readonly<BodyLimits> = {
  // OpenAI accepts requests up to about 50 MB (images inlined as base64 included).
  requestBodyBytes: 50 * 1024 * 1024,
  responseBodyBytes: 8 * 1024 * 1024,
};

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  // The OpenAI and Anthropic SDKs wait 10 minutes; a proxy must not give up before its clients do.
  upstreamMs: 600_000,
  shutdownMs: 10_000,
};

export const DEFAULT_STREAM_USAGE: StreamUsageMode = 'inject';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

// ---------------------------------------------------------------------------------------------------------------
// The schema: every setting, its type, its rule and its default. Messages are the predicate of a sentence whose
// subject (`config.yaml: limits.requestBodyBytes`, `--port`) is added when the issue is reported.

type Issue = v.BaseIssue<unknown>;

/** `must be WHAT, got VALUE`. */
function mustBe(what: string): (issue: Issue) => string {
  return (issue) => `must be ${what}, got ${issue.received}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mapping of fixed keys; unknown keys are rejected. (valibot's objects accept arrays: ruled out first.) */
function settingsObject<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries).join(', ');
  return v.pipe(
    v.custom<Record<string, unknown>>(isMapping, mustBe('a mapping of settings')),
    v.strictObject(entries, (issue) => (issue.expected === 'never' ? `(known: ${known})` : 'is required')),
  );
}

/** A mapping of names the user picks (upstreams, models) to values. */
function namedMapping<K extends v.GenericSchema<string, string>, V extends v.GenericSchema>(
  key: K,
  value: V,
  what: string,
) {
  return v.pipe(v.custom<Record<string, unknown>>(isMapping, mustBe(what)), v.record(key, value));
}

function positiveNumber() {
  const message = mustBe('a positive number');
  return v.pipe(v.number(message), v.finite(message), v.gtValue(0, message));
}

function positiveInteger() {
  const message = mustBe('a positive integer');
  return v.pipe(v.number(message), v.integer(message), v.gtValue(0, message));
}

function usdPerMillionTokens() {
  const message = mustBe('a number >= 0 (USD per million tokens)');
  return v.pipe(v.number(message), v.finite(message), v.minValue(0, message));
}

const UPSTREAM_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// A host name (labels of letters, digits, `_`, `-`), optionally with a leading dot (a suffix) and a trailing one
// (the root), or `*`.
const ALLOWED_HOST = /^(?:\*|\.?[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.?)$/i;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why `raw` cannot be an upstream URL, or undefined when it can. The URL is not repeated: it may hold a secret. */
function upstreamUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `must be an http or https URL, got "${raw}"`;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'must not carry a query, fragment or credentials';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http or https URL, got ${url.protocol} (only http and https are supported)`;
  }
  return undefined;
}

const UPSTREAMS = v.pipe(
  namedMapping(
    v.pipe(
      v.string(),
      v.regex(
        UPSTREAM_NAME,
        (issue) => `name ${issue.received} must be letters, digits, "_", "-" or "." (it is a path segment)`,
      ),
    ),
    v.pipe(
      v.string(mustBe('a URL')),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const problem = upstreamUrlProblem(dataset.value);
        if (problem !== undefined) addIssue({ message: problem });
      }),
    ),
    'a mapping of names to URLs, e.g. "openai: https://api.openai.com"',
  ),
  v.check((upstreams) => Object.keys(upstreams).length > 0, 'must name at least one upstream'),
);

const LABEL_HEADER = v.pipe(
  v.string(mustBe('a label name')),
  v.regex(LABEL_NAME, mustBe('a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)')),
  v.check((label) => !label.startsWith('__'), mustBe('a label name not starting with "__" (reserved)')),
);

const ALLOWED_HOST_ENTRY = v.pipe(
  v.string(mustBe('a host name')),
  v.regex(ALLOWED_HOST, mustBe('a host name without port, a ".domain" suffix or "*"')),
  v.transform((host) => host.toLowerCase().replace(/(?<=.)\.$/, '')),
);

/** Why `token` cannot be a metrics token, or undefined when it can. */
function metricsTokenProblem(token: string): string | undefined {
  if (token === '') return 'must not be empty (an empty token would turn authentication off; leave it unset for none)';
  if (token.trim() !== token) return 'must not start or end with whitespace (HTTP drops it: no request could match)';
  return undefined;
}

const PRICE = settingsObject({
  input: usdPerMillionTokens(),
  output: usdPerMillionTokens(),
  cachedInput: v.optional(usdPerMillionTokens()),
  cacheWrite: v.optional(usdPerMillionTokens()),
});

const LIMITS_ENTRIES = {
  requestBodyBytes: v.optional(positiveNumber(), DEFAULT_LIMITS.requestBodyBytes),
  responseBodyBytes: v.optional(positiveNumber(), DEFAULT_LIMITS.responseBodyBytes),
  models: v.optional(positiveInteger()),
  labelValues: v.optional(positiveInteger()),
  series: v.optional(positiveInteger()),
};

const TIMEOUTS_ENTRIES = {
  upstreamMs: v.optional(positiveNumber(), DEFAULT_TIMEOUTS.upstreamMs),
  shutdownMs: v.optional(positiveNumber(), DEFAULT_TIMEOUTS.shutdownMs),
};

const WORKERS_MESSAGE = mustBe('a positive integer or "auto"');

/** A count of workers; its message also names `auto` (the union's other choice). */
function workerCount() {
  return v.pipe(v.number(WORKERS_MESSAGE), v.integer(WORKERS_MESSAGE), v.gtValue(0, WORKERS_MESSAGE));
}

const PORT_MESSAGE = mustBe('an integer from 0 to 65535');
const HOST_MESSAGE = mustBe('a host name or IP address');

// A budget's period, as BUDGET_PERIODS in @llmeter/core says (this module imports no runtime code of core).
const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
const BUDGET = settingsObject({
  labels: v.optional(
    namedMapping(
      LABEL_HEADER,
      v.pipe(v.string(mustBe('a label value')), v.nonEmpty('must not be empty')),
      'a mapping of label names to values',
    ),
    {},
  ),
  usd: positiveNumber(),
  period: v.picklist(BUDGET_PERIODS, mustBe(`one of ${BUDGET_PERIODS.join(', ')}`)),
});

const SETTINGS_ENTRIES = {
  host: v.optional(
    v.pipe(
      v.string(HOST_MESSAGE),
      v.check((host) => host !== '', HOST_MESSAGE),
    ),
    DEFAULT_HOST,
  ),
  port: v.optional(
    v.pipe(
      v.number(PORT_MESSAGE),
      v.integer(PORT_MESSAGE),
      v.minValue(0, PORT_MESSAGE),
      v.maxValue(65_535, PORT_MESSAGE),
    ),
    DEFAULT_PORT,
  ),
  upstreams: v.optional(UPSTREAMS, DEFAULT_UPSTREAMS),
  labelHeaders: v.optional(v.array(LABEL_HEADER, mustBe('a list of label names')), []),
  allowedHosts: v.optional(v.array(ALLOWED_HOST_ENTRY, mustBe('a list of host names')), []),
  // The token is a secret: a value of the wrong type is not echoed, nor is a bad one.
  metricsToken: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.rawCheck(({ dataset, addIssue }) => {
        const problem = dataset.typed ? metricsTokenProblem(dataset.value) : undefined;
        if (problem !== undefined) addIssue({ message: problem });
      }),
    ),
  ),
  metricsTokenFile: v.optional(v.pipe(v.string(mustBe('a file path')), v.nonEmpty('must be a file path, got ""'))),
  streamUsage: v.optional(
    v.picklist(STREAM_USAGE_MODES, mustBe(`one of ${STREAM_USAGE_MODES.join(', ')}`)),
    DEFAULT_STREAM_USAGE,
  ),
  logLevel: v.optional(v.picklist(LOG_LEVELS, mustBe(`one of ${LOG_LEVELS.join(', ')}`)), DEFAULT_LOG_LEVEL),
  prices: v.optional(
    namedMapping(v.pipe(v.string(), v.nonEmpty('name must not be empty')), PRICE, 'a mapping of model names to prices'),
    {},
  ),
  budgets: v.optional(v.array(BUDGET, mustBe('a list of budgets')), []),
  // A secret, like the metrics token: its value is never echoed.
  keyIdSalt: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.check((salt) => salt.length >= 16, 'must be at least 16 characters'),
    ),
  ),
  limits: v.optional(settingsObject(LIMITS_ENTRIES), {}),
  timeouts: v.optional(settingsObject(TIMEOUTS_ENTRIES), {}),
  workers: v.optional(v.union([workerCount(), v.literal('auto')], WORKERS_MESSAGE), 1),
};

const SETTINGS = settingsObject(SETTINGS_ENTRIES);

/**
 * Every setting, as dotted paths (`*` stands for a name the user picks). The config file takes exactly these;
 * `llmeter proxy --help` documents each.
 */
export const CONFIG_KEYS: readonly string[] = [
  ...Object.keys(SETTINGS_ENTRIES),
  ...Object.keys(PRICE.pipe[1].entries).map((key) => `prices.*.${key}`),
  ...Object.keys(LIMITS_ENTRIES).map((key) => `limits.${key}`),
  ...Object.keys(TIMEOUTS_ENTRIES).map((key) => `timeouts.${key}`),
];

/** The settings once merged and validated: every default filled in. Usable as a {@link ProxyConfigInput}. */
export type ProxySettings = v.InferOutput<typeof SETTINGS>;

/** The defaults, as the settings every layer is merged over. */
export const DEFAULT_SETTINGS: Readonly<ProxySettings> = v.parse(SETTINGS, {});

// ---------------------------------------------------------------------------------------------------------------
// Layers and the merge.

/** Settings from one place, and how to name that place in error messages. */
export interface ConfigLayer {
  /** Where the settings come from: a file's path, `environment`, `flags`; empty for a program's own options. */
  readonly source: string;
  /** A {@link ProxyConfigInput}, or a parsed config file: checked after the merge. */
  readonly settings: unknown;
  /**
   * How this place spells a top-level setting, when not by its key: `{ port: '--port' }` makes an error about
   * this layer's port say `--port must be …` instead of `flags: port must be …`.
   */
  readonly names?: Readonly<Partial<Record<keyof ProxyConfigInput, string>>>;
}

// Nested mappings of fixed keys merge field by field; the rest (upstreams, labelHeaders, prices) replace.
const MERGED_BY_FIELD = new Set(['limits', 'timeouts']);

// One setting given two ways: a layer that sets either replaces both below it.
const TWO_WAYS: Readonly<Record<string, string>> = {
  metricsToken: 'metricsTokenFile',
  metricsTokenFile: 'metricsToken',
};

/** Which layer set each value, by path, for error messages. */
type Origins = Map<string, ConfigLayer>;

const pathKey = (path: readonly (string | number)[]): string => JSON.stringify(path);

/**
 * Merges `layers` over the defaults, later layers winning field by field (`limits` and `timeouts` merge per
 * field; `upstreams`, `labelHeaders` and `prices` replace), then validates the result. An absent, `undefined`
 * or `null` value leaves the value below it in place. `metricsToken` and `metricsTokenFile` are one setting given
 * two ways: a layer that sets either replaces both below it, and a token file is read here (the result holds the
 * token, never the file), so that the settings can start a proxy or be merged again as they are.
 * @throws {ConfigError} naming every invalid value by where it came from: `config.yaml: limits.requestBodyBytes
 * must be a positive number, got "x"`, `unknown setting "prots" (known: …)`, `--port must be …`.
 * @example
 * ```ts
 * const settings = mergeConfig([
 *   readConfigFile('llmeter.yaml'),
 *   { source: 'environment', settings: { port: 9000 }, names: { port: 'LLMETER_PORT' } },
 * ]);
 * await startProxy(settings);
 * ```
 */
export function mergeConfig(layers: readonly ConfigLayer[]): ProxySettings {
  const merged: Record<string, unknown> = {};
  const origins: Origins = new Map();
  for (const layer of layers) {
    const settings = layer.settings ?? {};
    if (!isMapping(settings)) {
      throw new ConfigError(`${prefix(layer)}expected a mapping of settings at the top level`);
    }
    for (const [key, value] of Object.entries(settings)) {
      if (value === undefined || value === null) continue;
      const otherWay = TWO_WAYS[key];
      if (otherWay !== undefined) {
        if (settings[otherWay] !== undefined && settings[otherWay] !== null) {
          const names = layer.names;
          const both =
            names?.metricsToken && names.metricsTokenFile
              ? `${names.metricsToken} and ${names.metricsTokenFile}`
              : `${prefix(layer)}metricsToken and metricsTokenFile`;
          throw new ConfigError(`${both} are both set: give the token one way`);
        }
        delete merged[otherWay];
        forgetOrigins(origins, otherWay);
      }
      const below = merged[key];
      if (!(MERGED_BY_FIELD.has(key) && isMapping(value) && isMapping(below))) forgetOrigins(origins, key);
      origins.set(pathKey([key]), layer);
      if (MERGED_BY_FIELD.has(key) && isMapping(value)) {
        const fields: Record<string, unknown> = isMapping(below) ? { ...below } : {};
        for (const [field, fieldValue] of Object.entries(value)) {
          if (fieldValue === undefined || fieldValue === null) continue;
          fields[field] = fieldValue;
          origins.set(pathKey([key, field]), layer);
        }
        merged[key] = fields;
      } else {
        merged[key] = value;
      }
    }
  }
  const result = v.safeParse(SETTINGS, merged, { abortPipeEarly: true });
  if (!result.success) {
    throw new ConfigError(result.issues.map((issue) => describeIssue(issue, origins)).join('\n'), {
      cause: new v.ValiError(result.issues),
    });
  }
  const { metricsTokenFile, ...settings } = result.output;
  if (metricsTokenFile === undefined) return settings;
  // Read once, here: the settings then start a proxy (or are merged again) with the token itself.
  const name = subject(originOf(origins, ['metricsTokenFile']), ['metricsTokenFile']);
  return { ...settings, metricsToken: readMetricsTokenFile(metricsTokenFile, name) };
}

/**
 * The token in a token file, without its trailing line breaks (`echo secret > file` adds one).
 * @throws {ConfigError} naming the setting (`--metrics-token-file`) when the file cannot be read (the cause is
 * the underlying error) or holds no usable token. The token itself is never in a message.
 */
function readMetricsTokenFile(path: string, name: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const token = text.replace(/[\r\n]+$/, '');
  const problem = metricsTokenProblem(token);
  if (problem !== undefined) throw new ConfigError(`${name} ${path} ${problem}`);
  return token;
}

/** Forgets which layers set `key` and the values inside it: a layer replaces it whole. */
function forgetOrigins(origins: Origins, key: string): void {
  // `["limits"]` is the key of the setting, `["limits",` starts every path inside it (and not `["limitsX"]`).
  const own = pathKey([key]);
  const inside = `${own.slice(0, -1)},`;
  for (const path of origins.keys()) if (path === own || path.startsWith(inside)) origins.delete(path);
}

/** Which layer set the value at `path`: the one that set it or the nearest mapping holding it. */
function originOf(origins: Origins, path: readonly (string | number)[]): ConfigLayer | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const layer = origins.get(pathKey(path.slice(0, length)));
    if (layer !== undefined) return layer;
  }
  return undefined;
}

function prefix(layer: ConfigLayer | undefined): string {
  return layer?.source ? `${layer.source}: ` : '';
}

function dotted(path: readonly (string | number)[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`)).join('');
}

/** The setting at `path` as `layer` spells it: `config.yaml: limits.requestBodyBytes`, `--upstream openai`. */
function subject(layer: ConfigLayer | undefined, path: readonly (string | number)[]): string {
  const [top, ...rest] = path;
  const name = typeof top === 'string' ? layer?.names?.[top as keyof ProxyConfigInput] : undefined;
  if (name === undefined) return `${prefix(layer)}${dotted(path)}`;
  // A flag takes one value at a time: list positions mean nothing to its user, names (of upstreams) do.
  const names = rest.filter((key) => typeof key === 'string');
  return names.length === 0 ? name : `${name} ${names.join('.')}`;
}

function describeIssue(issue: Issue, origins: Origins): string {
  const items = issue.path ?? [];
  const path = items.map((item) => item.key as string | number);
  const layer = originOf(origins, path);
  if (issue.type === 'strict_object') {
    return issue.expected === 'never'
      ? `${prefix(layer)}unknown setting "${dotted(path)}" ${issue.message}`
      : `${subject(layer, path)} ${issue.message}`;
  }
  // A bad name in a mapping of names (an upstream's): the message names it.
  if (items.at(-1)?.origin === 'key') return `${subject(layer, path.slice(0, -1))}: ${issue.message}`;
  return `${subject(layer, path)} ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading files and resolving.

/**
 * Reads a YAML config file as a layer for {@link mergeConfig}; its values are checked by the merge. Keys: see
 * {@link CONFIG_KEYS} and `llmeter proxy --help`.
 * @throws {ConfigError} when the file cannot be read or is not YAML (the cause is the underlying error).
 * @example
 * ```ts
 * const settings = mergeConfig([readConfigFile('llmeter.yaml'), { source: 'flags', settings: { port: 0 } }]);
 * ```
 */
export function readConfigFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return { source: path, settings: parseYaml(text) };
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Merges settings objects over the defaults, later ones winning field by field (see {@link mergeConfig}), and
 * resolves them into a {@link ProxyConfig}.
 * @throws {ConfigError} naming every invalid value.
 * @example
 * ```ts
 * const config = resolveConfig({ upstreams: { local: 'http://127.0.0.1:8000' } }, { port: 0 });
 * config.upstreams[0]?.url.href; // 'http://127.0.0.1:8000/'
 * ```
 */
export function resolveConfig(...inputs: readonly ProxyConfigInput[]): ProxyConfig {
  const settings = mergeConfig(inputs.map((input) => ({ source: '', settings: input })));
  const { models, labelValues, series, requestBodyBytes, responseBodyBytes } = settings.limits;
  const cardinality: CardinalityLimits = {};
  if (models !== undefined) cardinality.models = models;
  if (labelValues !== undefined) cardinality.labelValues = labelValues;
  if (series !== undefined) cardinality.series = series;
  return {
    host: settings.host,
    port: settings.port,
    upstreams: Object.entries(settings.upstreams).map(([name, url]) => ({ name, url: new URL(url) })),
    labelHeaders: [...new Set(settings.labelHeaders)],
    allowedHosts: [...new Set(settings.allowedHosts)],
    metricsToken: settings.metricsToken,
    streamUsage: settings.streamUsage,
    logLevel: settings.logLevel,
    prices: settings.prices,
    budgets: settings.budgets,
    keyIdSalt: settings.keyIdSalt,
    cardinality,
    limits: { requestBodyBytes, responseBodyBytes },
    timeouts: { ...settings.timeouts },
    workers: settings.workers,
  };
}
