import { parseArgs } from 'node:util';
import { ConfigError } from '@llmeter/proxy/config';
import { numberOption, onStopSignals, PORT, POSITIVE } from '../command-line.js';

/** `llmeter simulate --help`. */
export const SIMULATE_HELP = `Usage: llmeter simulate [options]

Runs the simulated LLM upstream on its own: it speaks the OpenAI (chat, streaming, responses, embeddings,
completions) and Anthropic (messages, streaming, cache tokens) wire formats, for tests and trials without an API
key. Point a client (or the proxy's --upstream) at it: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1.

Options:
  --host HOST          Interface to listen on (default 127.0.0.1)
  --port PORT          Port to listen on, 0 for any free one (default 8788)
  --profile NAME       realistic (default): seeded latencies, token counts and faults;
                       scripted: the same fixed reply every time, or the x-simulator-reply header's
  --seed N             Seed of the realistic profile (default 1)
  --fault-rate RATIO   Share of realistic replies that fail, 0 to 1 (default 0.03)
  --speed N            Make realistic latencies N times shorter (default 1)
  -h, --help           Show this help

Stops on SIGINT or SIGTERM.
`;

/** `llmeter simulate`'s settings. */
export interface SimulateCommandLine {
  help: boolean;
  host: string;
  port: number;
  profile: 'realistic' | 'scripted';
  seed: number;
  faultRate: number | undefined;
  speed: number | undefined;
}

/**
 * Parses `llmeter simulate`'s arguments.
 * @throws {ConfigError} on an unknown flag or a bad value.
 */
export function parseSimulateCommandLine(args: readonly string[]): SimulateCommandLine {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const profile = values.profile ?? 'realistic';
  if (profile !== 'realistic' && profile !== 'scripted') {
    throw new ConfigError(`--profile must be realistic or scripted, got "${profile}"`);
  }
  return {
    help: values.help === true,
    host: values.host ?? '127.0.0.1',
    port: numberOption('--port', values.port, PORT) ?? 8788,
    profile,
    seed: numberOption('--seed', values.seed, { integer: true }) ?? 1,
    faultRate: numberOption('--fault-rate', values['fault-rate'], { min: 0, max: 1 }),
    speed: numberOption('--speed', values.speed, POSITIVE),
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
      profile: { type: 'string' },
      seed: { type: 'string' },
      'fault-rate': { type: 'string' },
      speed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs `llmeter simulate` until SIGINT or SIGTERM. Resolves with the exit status. */
export async function runSimulateCommand(args: readonly string[]): Promise<number> {
  const commandLine = parseSimulateCommandLine(args);
  if (commandLine.help) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  const { startSimulator } = await import('@llmeter/simulator');
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator({
      host: commandLine.host,
      port: commandLine.port,
      profile: commandLine.profile,
      seed: commandLine.seed,
      faultRate: commandLine.faultRate,
      speed: commandLine.speed,
    });
  } catch (error) {
    throw new ConfigError(`cannot listen on ${commandLine.host}:${commandLine.port}: ${(error as Error).message}`);
  }
  process.stdout.write(
    `llmeter simulator (${commandLine.profile}) listening on ${simulator.url}\n` +
      `  OPENAI_BASE_URL=${simulator.url}/v1  ANTHROPIC_BASE_URL=${simulator.url}\n`,
  );
  await new Promise<void>((resolve) => {
    const removeHandlers = onStopSignals(() => {
      removeHandlers();
      resolve();
    });
  });
  await simulator.close();
  return 0;
}
