import { INTEGER, PORT, POSITIVE } from '../command-line.js';
import { defineCommand } from '../define-command.js';
import { DEMO_DEFAULTS } from './demo-defaults.js';

/**
 * `llmeter demo`: runs until its duration ends or SIGINT/SIGTERM (calls under way finish, servers close, the
 * final summary prints); a second signal exits at once.
 */
export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'Simulated upstream + proxy + live traffic; prints cost and latency per model',
  description: `See llmeter work in one command, with no API key and no network: starts a simulated OpenAI, Anthropic and Gemini
upstream (real model names and prices, realistic latency, occasional 429s, 5xx, timeouts and cut streams), the
proxy in front of it, and real clients (openai, @anthropic-ai/sdk, @google/genai, the Vercel AI SDK) sending
traffic both ways in (the instrumented SDK and AI SDK middleware, label via="sdk", and plain clients through the
proxy, via="proxy"). A per-model summary (requests, error %, p95 latency, p95 time to
first token, tokens, cost) refreshes in the terminal; /metrics and /dashboard are served by the proxy meanwhile.`,
  options: {
    duration: {
      type: 'number',
      value: 'SECONDS',
      rule: POSITIVE,
      help: 'Stop after this long',
      defaultText: 'run until Ctrl-C',
    },
    rps: { type: 'number', value: 'N', rule: POSITIVE, help: 'Calls per second', default: DEMO_DEFAULTS.rps },
    port: {
      type: 'number',
      value: 'PORT',
      rule: PORT,
      help: "The proxy's port, 0 for any free one",
      default: DEMO_DEFAULTS.port,
    },
    seed: {
      type: 'number',
      value: 'N',
      rule: INTEGER,
      help: 'Seed of the simulated upstream and of the call mix',
      default: DEMO_DEFAULTS.seed,
    },
    speed: {
      type: 'number',
      value: 'N',
      rule: POSITIVE,
      help: 'Make simulated latencies N times shorter (1 is realistic)',
      default: DEMO_DEFAULTS.speed,
    },
  },
  epilog: `Ctrl-C stops cleanly: calls under way finish (or are aborted after ${DEMO_DEFAULTS.drainMs / 1000} s), servers close, the final
summary prints.`,
  async run({ values, stop }) {
    // Loaded here, not at the top: the SDK clients are only needed by the demo, not by every `llmeter` command.
    const { runDemo } = await import('./run-demo.js');
    await runDemo({
      durationSeconds: values.duration,
      rps: values.rps,
      port: values.port,
      seed: values.seed,
      speed: values.speed,
      signal: stop.signal,
    });
    return 0;
  },
});
