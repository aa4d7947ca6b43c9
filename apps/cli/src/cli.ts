import { ConfigError } from '@llmeter/proxy/config';
import { runDemoCommand } from './demo/demo-command.js';
import { runSimulateCommand } from './demo/simulate-command.js';
import { runProxyCommand } from './proxy-command.js';

/** A subcommand of `llmeter`. */
interface Command {
  summary: string;
  /** Runs the command with the arguments after its name; resolves with the exit status. */
  run(args: readonly string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  proxy: { summary: 'Run the metering reverse proxy', run: runProxyCommand },
  demo: {
    summary: 'Simulated upstream + proxy + live traffic; prints cost and latency per model',
    run: runDemoCommand,
  },
  simulate: { summary: 'Run the simulated OpenAI/Anthropic upstream on its own', run: runSimulateCommand },
};

const HELP = `Usage: llmeter <command> [options]

See what your LLM calls cost and how they behave, as Prometheus metrics.

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join('\n')}

Run "llmeter <command> --help" for a command's options.
`;

async function main(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`llmeter: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`llmeter ${name}: ${error.message}\nRun "llmeter ${name} --help" for usage.\n`);
      return 2;
    }
    process.stderr.write(
      `llmeter ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Nothing should be left running once a command returns; a stuck handle must not keep the process alive.
    setTimeout(() => process.exit(status), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`llmeter: ${String(error)}\n`);
    process.exit(1);
  },
);
