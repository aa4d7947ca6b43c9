import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import {
  ConfigError,
  type ConfigLayer,
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PORT,
  DEFAULT_STREAM_USAGE,
  DEFAULT_TIMEOUTS,
  DEFAULT_UPSTREAMS,
  LOG_LEVELS,
  mergeConfig,
  type ProxyConfigInput,
  type ProxySettings,
  readConfigFile,
  STREAM_USAGE_MODES,
} from '@llmeter/proxy/config';
import { PORT } from './command-line.js';
import { type CommandContext, defineCommand, type OptionTable } from './define-command.js';

const upstreamPairs = (upstreams: Readonly<Record<string, string>>): string =>
  Object.entries(upstreams)
    .map(([name, url]) => `${name}=${url}`)
    .join(' ');

const PROXY_OPTIONS = {
  host: {
    type: 'string',
    value: 'HOST',
    help: 'Interface to listen on',
    env: 'LLMETER_HOST',
    defaultText: DEFAULT_HOST,
  },
  port: {
    type: 'number',
    value: 'PORT',
    rule: PORT,
    help: 'Port to listen on, 0 for any free one',
    env: 'LLMETER_PORT',
    defaultText: String(DEFAULT_PORT),
  },
  upstream: {
    type: 'list',
    value: 'NAME=URL',
    help: 'An upstream; the first is the default route',
    defaultText: upstreamPairs(DEFAULT_UPSTREAMS),
  },
  config: {
    type: 'string',
    value: 'FILE',
    help: 'YAML config file (keys below); the environment and flags win over it',
    env: 'LLMETER_CONFIG',
  },
  'label-header': {
    type: 'list',
    value: 'KEY',
    help:
      'Let clients set label KEY with the header "x-llmeter-label-KEY: value".\n' +
      'All x-llmeter-* headers are removed before forwarding. Send non-ASCII values as UTF-8\n' +
      'bytes (bytes that are not UTF-8 are read as Latin-1)',
  },
  'allowed-host': {
    type: 'list',
    value: 'HOST',
    help:
      'Also let /metrics and /dashboard answer requests whose Host header names HOST: a name,\n' +
      '".example.com" for that domain and every name under it, or "*" for any. IP addresses,\n' +
      'localhost and --host always may; other names get 403 (a guard against DNS rebinding).\n' +
      '/healthz and proxied calls answer any Host',
  },
  'metrics-token': {
    type: 'string',
    value: 'TOKEN',
    help:
      'Require "Authorization: Bearer TOKEN" on /metrics (and turn /dashboard off). An empty\n' +
      'token is an error. A command line shows in ps: prefer --metrics-token-file',
    env: 'LLMETER_METRICS_TOKEN',
    emptyEnvIsValue: true,
  },
  'metrics-token-file': {
    type: 'string',
    value: 'PATH',
    help: 'Read the metrics token from the file PATH (trailing line breaks dropped) instead',
    env: 'LLMETER_METRICS_TOKEN_FILE',
    emptyEnvIsValue: true,
  },
  'key-id-salt': {
    type: 'string',
    value: 'SECRET',
    help:
      'Label each call with key_id, a salted HMAC of its API key (spend per key, never the key).\n' +
      'At least 16 characters, kept secret; prefer the variable or the config file to the flag (ps shows it)',
    env: 'LLMETER_KEY_ID_SALT',
    emptyEnvIsValue: true,
  },
  'stream-usage': {
    type: 'string',
    value: 'MODE',
    choices: STREAM_USAGE_MODES,
    help:
      'inject: ask OpenAI chat streams for usage and hide the extra chunk from the client,\n' +
      'for exact token counts; passthrough: forward streams untouched and count tokens locally',
    defaultText: DEFAULT_STREAM_USAGE,
  },
  workers: {
    type: 'string',
    value: 'N|auto',
    help:
      'Worker processes sharing the port, or "auto" for one per core. /metrics and /dashboard\n' +
      'on any worker serve the exact sum over every worker; a worker that dies is replaced',
    env: 'LLMETER_WORKERS',
    defaultText: '1',
  },
  'log-level': {
    type: 'string',
    value: 'LEVEL',
    choices: LOG_LEVELS,
    help: 'Level of the per-call log lines (JSON, on stdout)',
    defaultText: DEFAULT_LOG_LEVEL,
  },
} as const satisfies OptionTable;

const DESCRIPTION = `A reverse proxy that measures LLM API calls as Prometheus metrics. Point a client's base URL at it and change
nothing else:

  OPENAI_BASE_URL=http://127.0.0.1:${DEFAULT_PORT}/v1
  ANTHROPIC_BASE_URL=http://127.0.0.1:${DEFAULT_PORT}/anthropic

Traffic passes through byte for byte (credentials untouched, never logged). Metrics: GET /metrics.
Health: GET /healthz. Dashboard: GET /dashboard.

Routing: /NAME/rest goes to upstream NAME as /rest; any other path goes to the first upstream unchanged.
The metrics' provider label is the upstream's name.

Settings, each one from the first place that has it: flags, then environment variables, then the config file,
then the defaults.`;

/** YAML lines with their comments lined up. */
function commented(lines: readonly (readonly [yaml: string, comment?: string])[]): string {
  const width = Math.max(...lines.filter(([, comment]) => comment).map(([yaml]) => yaml.length)) + 2;
  return lines.map(([yaml, comment]) => (comment ? `${yaml.padEnd(width)}# ${comment}` : yaml)).join('\n');
}

// Every key of the config file (CONFIG_KEYS); a test checks that none is missing.
const CONFIG_FILE_HELP = `Config file (YAML), every key optional:
${commented([
  [`  host: ${DEFAULT_HOST}`],
  [`  port: ${DEFAULT_PORT}`],
  ['  upstreams:', 'name: URL, in route order'],
  ...Object.entries(DEFAULT_UPSTREAMS).map(([name, url]) => [`    ${name}: ${url}`] as const),
  ['  labelHeaders: [team, feature]'],
  ['  allowedHosts: [metrics.internal]', 'see --allowed-host'],
  ['  metricsToken: secret'],
  ['  metricsTokenFile: /run/secrets/token', 'or the token in a file (not both)'],
  [`  streamUsage: ${DEFAULT_STREAM_USAGE}`],
  [`  logLevel: ${DEFAULT_LOG_LEVEL}`],
  ['  workers: 1', 'or auto: one per core'],
  ['  prices:', 'USD per million tokens; override or add models'],
  ['    my-model: { input: 1.0, output: 2.0, cachedInput: 0.5, cacheWrite: 1.25 }'],
  ['  budgets:', 'USD per UTC day, week or month, on any labels calls carry'],
  ['    - { labels: { team: ads }, usd: 500, period: month }'],
  ['  keyIdSalt: a-long-random-secret', 'opt-in key_id label: salted HMAC of the API key'],
  ['  limits:'],
  [`    requestBodyBytes: ${DEFAULT_LIMITS.requestBodyBytes}`, 'larger JSON request bodies get 413'],
  [`    responseBodyBytes: ${DEFAULT_LIMITS.responseBodyBytes}`, 'larger JSON responses pass unmeasured'],
  ['    models: 200', 'distinct model label values (the rest become "other")'],
  ['    labelValues: 50', 'distinct values per client label'],
  ['    series: 2000', 'distinct label sets; new ones past it fold into "other"'],
  ['  timeouts:'],
  [`    upstreamMs: ${DEFAULT_TIMEOUTS.upstreamMs}`, 'upstream silence before 504 / a cut stream'],
  [`    shutdownMs: ${DEFAULT_TIMEOUTS.shutdownMs}`, 'SIGTERM/SIGINT: wait this long for calls in flight'],
])}
Unknown keys and values of the wrong type are errors that name the key.`;

type ProxyOptions = typeof PROXY_OPTIONS;

/** `llmeter proxy`: runs the metering reverse proxy until SIGTERM or SIGINT, then shuts down gracefully. */
export const proxyCommand = defineCommand({
  name: 'proxy',
  summary: 'Run the metering reverse proxy',
  description: DESCRIPTION,
  options: PROXY_OPTIONS,
  epilog: CONFIG_FILE_HELP,
  async run(context) {
    const settings = proxySettings(context);
    const workers = workerCount(settings.workers);
    // Loaded only now, so that `--help` and usage and configuration errors answer without prices and prom-client.
    const { startProxy, startProxyCluster, drainRequested } = await import('@llmeter/proxy');
    if (cluster.isWorker) {
      // A worker of `--workers N`: the primary asks it to drain (SIGTERM reaches only the primary in a container).
      const proxy = await startProxy({ ...settings, processMetrics: true, clusterWorker: true });
      const reason = await Promise.race([context.stop.requested, drainRequested()]);
      proxy.logger.info({ reason }, 'shutting down');
      await proxy.close();
      cluster.worker?.disconnect();
      return 0;
    }
    if (workers === 1) {
      const proxy = await startProxy({ ...settings, processMetrics: true });
      const signal = await context.stop.requested;
      proxy.logger.info({ signal }, 'shutting down');
      await proxy.close();
      return 0;
    }
    const { pino } = await import('pino');
    const logger = pino({ name: 'llmeter', level: settings.logLevel });
    const running = await startProxyCluster({ workers, shutdownMs: settings.timeouts.shutdownMs, logger });
    const signal = await context.stop.requested;
    logger.info({ signal }, 'shutting down');
    await running.close();
    logger.info('llmeter proxy stopped');
    return 0;
  },
});

/**
 * The proxy's settings: the config file, under the environment and flags (one layer: an option's flag wins over
 * its variable), merged and checked once.
 * @throws {ConfigError} naming the file's key, the variable or the flag.
 */
export function proxySettings({
  values,
  givenAs,
}: Pick<CommandContext<ProxyOptions>, 'values' | 'givenAs'>): ProxySettings {
  const layers: ConfigLayer[] = [];
  if (values.config !== undefined) layers.push(readConfigFile(values.config));
  const commandLine: ProxyConfigInput = {
    host: values.host,
    port: values.port,
    upstreams: values.upstream === undefined ? undefined : parseUpstreamPairs(values.upstream),
    labelHeaders: values['label-header'],
    allowedHosts: values['allowed-host'],
    metricsToken: values['metrics-token'],
    metricsTokenFile: values['metrics-token-file'],
    keyIdSalt: values['key-id-salt'],
    streamUsage: values['stream-usage'],
    logLevel: values['log-level'],
    // A value that is neither is checked (and named) by the merge, like any setting's.
    workers: parseWorkers(values.workers) as ProxyConfigInput['workers'],
  };
  layers.push({
    source: 'command line',
    settings: commandLine,
    names: {
      host: givenAs.host,
      port: givenAs.port,
      upstreams: givenAs.upstream,
      labelHeaders: givenAs['label-header'],
      allowedHosts: givenAs['allowed-host'],
      metricsToken: givenAs['metrics-token'],
      metricsTokenFile: givenAs['metrics-token-file'],
      keyIdSalt: givenAs['key-id-salt'],
      streamUsage: givenAs['stream-usage'],
      logLevel: givenAs['log-level'],
      workers: givenAs.workers,
    },
  });
  return mergeConfig(layers);
}

/** `--workers`: a count, or `auto`; anything else is passed on for the settings' check to name. */
function parseWorkers(value: string | undefined): number | string | undefined {
  if (value === undefined || value === 'auto') return value;
  return /^[0-9]+$/.test(value) ? Number(value) : value;
}

/** How many workers to run: `auto` is one per core (as many as this process may use). */
export function workerCount(workers: number | 'auto'): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

/**
 * Parses `--upstream NAME=URL` pairs into an ordered map (the URL is checked with the other settings).
 * @throws {ConfigError} on a pair without `=` or a name given twice.
 */
export function parseUpstreamPairs(pairs: readonly string[]): Record<string, string> {
  const upstreams: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new ConfigError(`--upstream expects NAME=URL, got "${pair}"`);
    const name = pair.slice(0, equals);
    if (Object.hasOwn(upstreams, name)) throw new ConfigError(`--upstream ${name} is given twice`);
    upstreams[name] = pair.slice(equals + 1);
  }
  return upstreams;
}
