import { readFileSync } from 'node:fs';
import type { CardinalityLimits, ModelPrice, PriceOverrides } from '@llmeter/core';
import { parse as parseYaml } from 'yaml';

/** A configuration that cannot be used: a bad flag, a bad config file, a bad value. The message says which. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** How streams whose client did not ask for usage are measured. */
export type StreamUsageMode = 'inject' | 'passthrough';

/** pino's levels, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const STREAM_USAGE_MODES: readonly StreamUsageMode[] = ['inject', 'passthrough'];

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
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  streamUsage: StreamUsageMode;
  logLevel: LogLevel;
  prices: PriceOverrides;
  cardinality: CardinalityLimits;
  limits: BodyLimits;
  timeouts: Timeouts;
}

/** Any part of a {@link ProxyConfig}, as a config file or flags give it; upstreams as `NAME → URL`. */
export interface ProxyConfigInput {
  host?: string | undefined;
  port?: number | undefined;
  upstreams?: Readonly<Record<string, string>> | undefined;
  labelHeaders?: readonly string[] | undefined;
  metricsToken?: string | undefined;
  streamUsage?: StreamUsageMode | undefined;
  logLevel?: LogLevel | undefined;
  prices?: PriceOverrides | undefined;
  cardinality?: CardinalityLimits | undefined;
  limits?: Partial<BodyLimits> | undefined;
  timeouts?: Partial<Timeouts> | undefined;
}

/** The upstreams used when none are configured; the first is the default route. */
export const DEFAULT_UPSTREAMS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
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

const UPSTREAM_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Merges configuration layers, later ones winning field by field (defaults, then a config file, then the
 * environment, then flags), and validates the result.
 * @throws {ConfigError} naming the first invalid value.
 */
export function resolveConfig(...layers: readonly ProxyConfigInput[]): ProxyConfig {
  const merged: ProxyConfigInput = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const target = merged as Record<string, unknown>;
      const previous = target[key];
      // Nested objects of numbers merge field by field; upstreams, label headers and prices replace.
      if ((key === 'limits' || key === 'timeouts' || key === 'cardinality') && isRecord(previous)) {
        target[key] = { ...previous, ...(value as object) };
      } else {
        target[key] = value;
      }
    }
  }
  return {
    host: merged.host ?? DEFAULT_HOST,
    port: checkPort(merged.port ?? DEFAULT_PORT),
    upstreams: checkUpstreams(merged.upstreams ?? DEFAULT_UPSTREAMS),
    labelHeaders: checkLabelHeaders(merged.labelHeaders ?? []),
    metricsToken: merged.metricsToken === '' ? undefined : merged.metricsToken,
    streamUsage: checkChoice('streamUsage', merged.streamUsage ?? 'inject', STREAM_USAGE_MODES),
    logLevel: checkChoice('logLevel', merged.logLevel ?? 'info', LOG_LEVELS),
    prices: merged.prices ?? {},
    cardinality: merged.cardinality ?? {},
    limits: {
      requestBodyBytes: checkPositive('limits.requestBodyBytes', merged.limits?.requestBodyBytes, DEFAULT_LIMITS),
      responseBodyBytes: checkPositive('limits.responseBodyBytes', merged.limits?.responseBodyBytes, DEFAULT_LIMITS),
    },
    timeouts: {
      upstreamMs: checkPositive('timeouts.upstreamMs', merged.timeouts?.upstreamMs, DEFAULT_TIMEOUTS),
      shutdownMs: checkPositive('timeouts.shutdownMs', merged.timeouts?.shutdownMs, DEFAULT_TIMEOUTS),
    },
  };
}

/**
 * Reads a YAML config file. Keys: `host`, `port`, `upstreams` (map of name to URL, in route order),
 * `labelHeaders` (list), `metricsToken`, `streamUsage`, `logLevel`, `prices` (model → per-million USD
 * `{input, output, cachedInput?, cacheWrite?}`), `limits` (`requestBodyBytes`, `responseBodyBytes`, `models`,
 * `labelValues`), `timeouts` (`upstreamMs`, `shutdownMs`).
 * @throws {ConfigError} when the file cannot be read, is not YAML, or has a key or value of the wrong kind.
 */
export function readConfigFile(path: string): ProxyConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return configFromDocument(document ?? {}, path);
}

/** Checks a parsed config document and turns it into a {@link ProxyConfigInput}. */
export function configFromDocument(document: unknown, source = 'config'): ProxyConfigInput {
  if (!isRecord(document)) throw new ConfigError(`${source}: expected a mapping of settings at the top level`);
  const known = new Set([
    'host',
    'port',
    'upstreams',
    'labelHeaders',
    'metricsToken',
    'streamUsage',
    'logLevel',
    'prices',
    'limits',
    'timeouts',
  ]);
  for (const key of Object.keys(document)) {
    if (!known.has(key)) throw new ConfigError(`${source}: unknown setting "${key}" (known: ${[...known].join(', ')})`);
  }
  const at = (key: string) => `${source}: ${key}`;
  const input: ProxyConfigInput = {
    host: optionalString(document.host, at('host')),
    port: optionalNumber(document.port, at('port')),
    metricsToken: optionalString(document.metricsToken, at('metricsToken')),
    streamUsage: optionalString(document.streamUsage, at('streamUsage')) as StreamUsageMode | undefined,
    logLevel: optionalString(document.logLevel, at('logLevel')) as LogLevel | undefined,
  };
  if (document.upstreams !== undefined) {
    const upstreams = document.upstreams;
    if (!isRecord(upstreams) || !Object.values(upstreams).every((url) => typeof url === 'string')) {
      throw new ConfigError(`${at('upstreams')} must map names to URLs, e.g. "openai: https://api.openai.com"`);
    }
    input.upstreams = upstreams as Record<string, string>;
  }
  if (document.labelHeaders !== undefined) {
    const labels = document.labelHeaders;
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
      throw new ConfigError(`${at('labelHeaders')} must be a list of label names`);
    }
    input.labelHeaders = labels as string[];
  }
  if (document.prices !== undefined) {
    if (!isRecord(document.prices)) throw new ConfigError(`${at('prices')} must map model names to prices`);
    input.prices = document.prices as Record<string, ModelPrice>;
  }
  if (document.limits !== undefined) {
    const limits = numberRecord(document.limits, at('limits'), [
      'requestBodyBytes',
      'responseBodyBytes',
      'models',
      'labelValues',
    ]);
    input.limits = { requestBodyBytes: limits.requestBodyBytes, responseBodyBytes: limits.responseBodyBytes };
    input.cardinality = { models: limits.models, labelValues: limits.labelValues };
    if (input.cardinality.models === undefined) delete input.cardinality.models;
    if (input.cardinality.labelValues === undefined) delete input.cardinality.labelValues;
  }
  if (document.timeouts !== undefined) {
    input.timeouts = numberRecord(document.timeouts, at('timeouts'), ['upstreamMs', 'shutdownMs']);
  }
  return input;
}

/**
 * Parses `NAME=URL` pairs (the `--upstream` flag) into an ordered map.
 * @throws {ConfigError} on a pair without `=` or a name given twice.
 */
export function parseUpstreamPairs(pairs: readonly string[]): Record<string, string> {
  const upstreams: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new ConfigError(`--upstream expects NAME=URL, got "${pair}"`);
    const name = pair.slice(0, equals);
    if (Object.hasOwn(upstreams, name)) throw new ConfigError(`upstream "${name}" is given twice`);
    upstreams[name] = pair.slice(equals + 1);
  }
  return upstreams;
}

function checkUpstreams(upstreams: Readonly<Record<string, string>>): Upstream[] {
  const entries = Object.entries(upstreams);
  if (entries.length === 0) throw new ConfigError('at least one upstream is needed');
  return entries.map(([name, raw]) => {
    if (!UPSTREAM_NAME.test(name)) {
      throw new ConfigError(`upstream name "${name}" must be letters, digits, "_", "-" or "." (it is a path segment)`);
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`upstream "${name}": "${raw}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`upstream "${name}": only http and https URLs are supported, got ${url.protocol}`);
    }
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new ConfigError(`upstream "${name}": the URL must not carry a query, fragment or credentials`);
    }
    return { name, url };
  });
}

function checkLabelHeaders(labels: readonly string[]): string[] {
  for (const label of labels) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new ConfigError(`label header "${label}" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
    }
  }
  return [...new Set(labels)];
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port must be 0-65535, got ${port}`);
  return port;
}

function checkPositive<K extends string>(
  name: string,
  value: number | undefined,
  defaults: Readonly<Record<K, number>>,
) {
  const key = name.slice(name.indexOf('.') + 1) as K;
  const result = value ?? defaults[key];
  if (typeof result !== 'number' || !Number.isFinite(result) || result <= 0) {
    throw new ConfigError(`${name} must be a positive number, got ${String(value)}`);
  }
  return result;
}

function checkChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${name} must be a string`);
  return value;
}

function optionalNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new ConfigError(`${name} must be a number`);
  return value;
}

function numberRecord<K extends string>(value: unknown, name: string, keys: readonly K[]): Partial<Record<K, number>> {
  if (!isRecord(value)) throw new ConfigError(`${name} must be a mapping`);
  const result: Partial<Record<K, number>> = {};
  for (const [key, field] of Object.entries(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw new ConfigError(`${name}: unknown setting "${key}" (known: ${keys.join(', ')})`);
    }
    if (typeof field !== 'number') throw new ConfigError(`${name}.${key} must be a number`);
    result[key as K] = field;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
