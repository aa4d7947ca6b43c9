import { parseArgs } from 'node:util';
import { ConfigError } from '../config.js';

/** `llmeter demo --help`. */
export const DEMO_HELP = `Usage: llmeter demo [options]

See llmeter work in one command, with no API key and no network: starts a simulated OpenAI and Anthropic
upstream (real model names and prices, realistic latency, occasional 429s, 5xx, timeouts and cut streams), the
proxy in front of it, and real clients sending traffic both ways in (the instrumented SDK, label via="sdk", and
plain clients through the proxy, via="proxy"). A per-model summary (requests, error %, p95 latency, p95 time to
first token, tokens, cost) refreshes in the terminal; /metrics and /dashboard are served by the proxy meanwhile.

Options:
  --duration SECONDS   Stop after this long (default: run until Ctrl-C)
  --rps N              Calls per second (default 5)
  --port PORT          The proxy's port, 0 for any free one (default 8787)
  --seed N             Seed of the simulated upstream and of the call mix (default 1)
  --speed N            Make simulated latencies N times shorter (default 1: realistic)
  -h, --help           Show this help

Ctrl-C stops cleanly: calls under way finish (or are aborted after 3 s), servers close, the final summary prints.
`;

/** `llmeter demo`'s settings. */
export interface DemoCommandLine {
  help: boolean;
  durationSeconds: number | undefined;
  rps: number;
  port: number;
  seed: number;
  speed: number;
}

/**
 * Parses `llmeter demo`'s arguments.
 * @throws {ConfigError} on an unknown flag or a bad value.
 */
export function parseDemoCommandLine(args: readonly string[]): DemoCommandLine {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    help: values.help === true,
    durationSeconds: positive('--duration', values.duration),
    rps: positive('--rps', values.rps) ?? 5,
    port: port(values.port) ?? 8787,
    seed: integer('--seed', values.seed) ?? 1,
    speed: positive('--speed', values.speed) ?? 1,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      rps: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Runs `llmeter demo` until its duration ends or SIGINT/SIGTERM; a second signal exits at once. Resolves with
 * the exit status.
 */
export async function runDemoCommand(args: readonly string[]): Promise<number> {
  const commandLine = parseDemoCommandLine(args);
  if (commandLine.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  // Loaded here, not at the top: the SDK clients are only needed by the demo, not by every `llmeter` command.
  const { runDemo } = await import('./run-demo.js');
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1) stop.abort();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runDemo({
      durationSeconds: commandLine.durationSeconds,
      rps: commandLine.rps,
      port: commandLine.port,
      seed: commandLine.seed,
      speed: commandLine.speed,
      signal: stop.signal,
    });
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new ConfigError(`${name} must be a number above 0, got "${value}"`);
  }
  return number;
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number))
    throw new ConfigError(`${name} must be an integer, got "${value}"`);
  return number;
}

function port(value: string | undefined): number | undefined {
  const number = integer('--port', value);
  if (number !== undefined && (number < 0 || number > 65_535)) {
    throw new ConfigError(`--port must be between 0 and 65535, got "${value}"`);
  }
  return number;
}
