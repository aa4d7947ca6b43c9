import { ConfigError, DEFAULT_HOST } from '@llmeter/proxy/config';
import { INTEGER, PORT, POSITIVE } from '../command-line.js';
import { defineCommand } from '../define-command.js';
import { DEMO_DEFAULTS } from './demo-defaults.js';

/** The simulator's port: the one after the proxy's, so both run side by side with their defaults. */
export const SIMULATOR_PORT = DEMO_DEFAULTS.port + 1;

/** `llmeter simulate`: runs the simulated LLM upstream until SIGINT or SIGTERM. */
export const simulateCommand = defineCommand({
  name: 'simulate',
  summary: 'Run the simulated OpenAI/Anthropic upstream on its own',
  description: `Runs the simulated LLM upstream on its own: it speaks the OpenAI (chat, streaming, responses, embeddings,
completions) and Anthropic (messages, streaming, cache tokens) wire formats, for tests and trials without an API
key. Point a client (or the proxy's --upstream) at it: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1.`,
  options: {
    host: { type: 'string', value: 'HOST', help: 'Interface to listen on', default: DEFAULT_HOST },
    port: {
      type: 'number',
      value: 'PORT',
      rule: PORT,
      help: 'Port to listen on, 0 for any free one',
      default: SIMULATOR_PORT,
    },
    profile: {
      type: 'string',
      value: 'NAME',
      choices: ['realistic', 'scripted'],
      help:
        'realistic: seeded latencies, token counts and faults;\n' +
        "scripted: the same fixed reply every time, or the x-simulator-reply header's",
      default: 'realistic',
    },
    seed: {
      type: 'number',
      value: 'N',
      rule: INTEGER,
      help: 'Seed of the realistic profile',
      default: DEMO_DEFAULTS.seed,
    },
    'fault-rate': {
      type: 'number',
      value: 'RATIO',
      rule: { min: 0, max: 1 },
      help: 'Share of realistic replies that fail, 0 to 1',
      // The simulator's own default.
      defaultText: '0.03',
    },
    speed: {
      type: 'number',
      value: 'N',
      rule: POSITIVE,
      help: 'Make realistic latencies N times shorter',
      default: DEMO_DEFAULTS.speed,
    },
  },
  async run({ values, stdout, stop }) {
    const { startSimulator } = await import('@llmeter/simulator');
    let simulator: Awaited<ReturnType<typeof startSimulator>>;
    try {
      simulator = await startSimulator({
        host: values.host,
        port: values.port,
        profile: values.profile,
        seed: values.seed,
        faultRate: values['fault-rate'],
        speed: values.speed,
      });
    } catch (error) {
      throw new ConfigError(`cannot listen on ${values.host}:${values.port}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    stdout.write(
      `llmeter simulator (${values.profile}) listening on ${simulator.url}\n` +
        `  OPENAI_BASE_URL=${simulator.url}/v1  ANTHROPIC_BASE_URL=${simulator.url}\n`,
    );
    await stop.requested;
    await simulator.close();
    return 0;
  },
});
