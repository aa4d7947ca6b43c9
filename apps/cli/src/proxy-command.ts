import { parseArgs } from 'node:util';
import {
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUTS,
  DEFAULT_UPSTREAMS,
  type LogLevel,
  type ProxyConfigInput,
  parseUpstreamPairs,
  readConfigFile,
  type StreamUsageMode,
} from '@llmeter/proxy/config';
import { nonEmpty, numberOption, onStopSignals, PORT } from './command-line.js';

/** `llmeter proxy --help`. */
export const PROXY_HELP = `Usage: llmeter proxy [options]

A reverse proxy that measures LLM API calls as Prometheus metrics. Point a client's base URL at it and change
nothing else:

  OPENAI_BASE_URL=http://127.0.0.1:${DEFAULT_PORT}/v1
  ANTHROPIC_BASE_URL=http://127.0.0.1:${DEFAULT_PORT}/anthropic

Traffic passes through byte for byte (credentials untouched, never logged). Metrics: GET /metrics.
Health: GET /healthz.

Routing: /NAME/rest goes to upstream NAME as /rest; any other path goes to the first upstream unchanged.
The metrics' provider label is the upstream's name.

Options:
  --host HOST              Interface to listen on (default ${DEFAULT_HOST}; env LLMETER_HOST)
  --port PORT              Port to listen on, 0 for any free one (default ${DEFAULT_PORT}; env LLMETER_PORT)
  --upstream NAME=URL      An upstream; repeat for several, the first is the default route
                           (default: ${Object.entries(DEFAULT_UPSTREAMS)
                             .map(([name, url]) => `${name}=${url}`)
                             .join(' ')})
  --config FILE            YAML config file (env LLMETER_CONFIG); flags and env win over it
  --label-header KEY       Let clients set label KEY with the header "x-llmeter-label-KEY: value";
                           repeat for several. All x-llmeter-* headers are removed before forwarding.
  --metrics-token TOKEN    Require "Authorization: Bearer TOKEN" on /metrics (env LLMETER_METRICS_TOKEN)
  --stream-usage MODE      inject (default): ask OpenAI chat streams for usage and hide the extra chunk
                           from the client, for exact token counts; passthrough: forward streams untouched
                           and count tokens locally
  --log-level LEVEL        fatal, error, warn, info (default), debug, trace or silent
  -h, --help               Show this help

Config file (YAML), every key optional:
  host: 127.0.0.1
  port: ${DEFAULT_PORT}
  upstreams:               # name: URL, in route order
    openai: https://api.openai.com
    anthropic: https://api.anthropic.com
  labelHeaders: [team, feature]
  metricsToken: secret
  streamUsage: inject
  logLevel: info
  prices:                  # USD per million tokens; override or add models
    my-model: { input: 1.0, output: 2.0, cachedInput: 0.5, cacheWrite: 1.25 }
  limits:
    requestBodyBytes: ${DEFAULT_LIMITS.requestBodyBytes}   # larger JSON request bodies get 413
    responseBodyBytes: ${DEFAULT_LIMITS.responseBodyBytes}   # larger JSON responses pass unmeasured
    models: 200            # distinct model label values (the rest become "other")
    labelValues: 50        # distinct values per client label
  timeouts:
    upstreamMs: ${DEFAULT_TIMEOUTS.upstreamMs}        # upstream silence before 504 / a cut stream
    shutdownMs: ${DEFAULT_TIMEOUTS.shutdownMs}         # SIGTERM/SIGINT: wait this long for calls in flight

Exit status: 0 after SIGTERM or SIGINT, 2 on a configuration error, 1 on any other failure.
`;

/** The proxy's settings from the command line and environment, the config file's path apart. */
export interface ProxyCommandLine {
  help: boolean;
  configPath: string | undefined;
  /** From the environment. */
  env: ProxyConfigInput;
  /** From flags; they win over everything. */
  flags: ProxyConfigInput;
}

/**
 * Parses `llmeter proxy`'s arguments and environment.
 * @throws {ConfigError} on an unknown flag or a bad value.
 */
export function parseProxyCommandLine(args: readonly string[], env: NodeJS.ProcessEnv): ProxyCommandLine {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const { values } = parsed;
  return {
    help: values.help === true,
    configPath: values.config ?? nonEmpty(env.LLMETER_CONFIG),
    env: {
      host: nonEmpty(env.LLMETER_HOST),
      port: numberOption('LLMETER_PORT', nonEmpty(env.LLMETER_PORT), PORT),
      metricsToken: nonEmpty(env.LLMETER_METRICS_TOKEN),
    },
    flags: {
      host: values.host,
      port: numberOption('--port', values.port, PORT),
      upstreams: values.upstream === undefined ? undefined : parseUpstreamPairs(values.upstream),
      labelHeaders: values['label-header'],
      metricsToken: values['metrics-token'],
      streamUsage: values['stream-usage'] as StreamUsageMode | undefined,
      logLevel: values['log-level'] as LogLevel | undefined,
    },
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      upstream: { type: 'string', multiple: true },
      config: { type: 'string' },
      'label-header': { type: 'string', multiple: true },
      'metrics-token': { type: 'string' },
      'stream-usage': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Runs `llmeter proxy` until SIGTERM or SIGINT, then shuts down gracefully. Resolves with the exit status.
 */
export async function runProxyCommand(args: readonly string[]): Promise<number> {
  const commandLine = parseProxyCommandLine(args, process.env);
  if (commandLine.help) {
    process.stdout.write(PROXY_HELP);
    return 0;
  }
  const file = commandLine.configPath === undefined ? {} : readConfigFile(commandLine.configPath);
  // Loaded only now, so that `--help` and usage errors answer without loading prices and prom-client.
  const { startProxy } = await import('@llmeter/proxy');
  const proxy = await startProxy({
    ...mergeLayers(file, commandLine.env, commandLine.flags),
    processMetrics: true,
  });
  return new Promise((resolve) => {
    onStopSignals((signal, count) => {
      if (count > 1) {
        // A second signal: the operator does not want to wait.
        proxy.logger.warn({ signal }, 'second signal, exiting now');
        resolve(1);
        return;
      }
      proxy.logger.info({ signal }, 'shutting down');
      proxy.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    });
  });
}

/** Later layers win field by field; undefined fields do not override. */
function mergeLayers(...layers: ProxyConfigInput[]): ProxyConfigInput {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged as ProxyConfigInput;
}
