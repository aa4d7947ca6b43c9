import { parseArgs } from 'node:util';
import { ConfigError } from '@llmeter/proxy/config';
import { numberOption, onStopSignals, PORT, POSITIVE } from '../command-line.js';

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
    durationSeconds: numberOption('--duration', values.duration, POSITIVE),
    rps: numberOption('--rps', values.rps, POSITIVE) ?? 5,
    port: numberOption('--port', values.port, PORT) ?? 8787,
    seed: numberOption('--seed', values.seed, { integer: true }) ?? 1,
    speed: numberOption('--speed', values.speed, POSITIVE) ?? 1,
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
  // The first signal stops the demo cleanly; a second one exits at once.
  const removeHandlers = onStopSignals((_signal, count) => {
    if (count === 1) stop.abort();
    else process.exit(130);
  });
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
    removeHandlers();
  }
}
