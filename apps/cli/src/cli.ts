import { PROXY_NODE_OPTIONS } from '@llmeter/proxy/node-options';
import type { Command } from './define-command.js';
import { USAGE_ERROR_STATUS } from './define-command.js';
import { demoCommand } from './demo/demo-command.js';
import { simulateCommand } from './demo/simulate-command.js';
import { proxyCommand } from './proxy-command.js';
import { relaunchWithNodeOptions } from './relaunch.js';

const COMMANDS: readonly Command[] = [proxyCommand, demoCommand, simulateCommand];

const HELP = `Usage: llmeter <command> [options]

See what your LLM calls cost and how they behave, as Prometheus metrics.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join('\n')}

Run "llmeter <command> --help" for a command's options.
`;

async function main(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? USAGE_ERROR_STATUS : 0;
  }
  // The proxy runs with its own Node options (a smaller young generation; see PROXY_NODE_OPTIONS).
  if (name === proxyCommand.name) relaunchWithNodeOptions(PROXY_NODE_OPTIONS);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    process.stderr.write(`llmeter: unknown command "${name}"\n\n${HELP}`);
    return USAGE_ERROR_STATUS;
  }
  return command.execute(rest);
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Nothing should be left running once a command returns; a stuck handle must not keep the process alive. A
    // status above 128 is a second signal's: the operator asked not to wait for what is still open.
    setTimeout(() => process.exit(status), status > 128 ? 0 : 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`llmeter: ${String(error)}\n`);
    process.exit(1);
  },
);
