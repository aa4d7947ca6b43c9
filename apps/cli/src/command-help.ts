import type { CommandSpec, OptionSpec, OptionTable } from './define-command.js';

/** What every command's `--help` says about its exit status. */
export const EXIT_STATUS_HELP =
  'Exit status: 0 when done or stopped by SIGINT/SIGTERM, 2 on a usage or configuration error, 1 on any other\n' +
  'failure. The first SIGINT/SIGTERM stops cleanly; a second one stops at once (status 130 or 143).';

/**
 * The `--help` text of a command: usage line, description, one line per option (its value, help, choices,
 * default and environment variable), `-h, --help`, the epilog and the exit statuses.
 * @example
 * ```ts
 * commandHelp({ name: 'simulate', description: '…', options: { port: { type: 'number', value: 'PORT', … } } });
 * // 'Usage: llmeter simulate [options]\n\n…\n\nOptions:\n  --port PORT   …'
 * ```
 */
export function commandHelp(
  spec: Pick<CommandSpec<OptionTable>, 'name' | 'description' | 'options' | 'epilog'>,
): string {
  const rows: [flag: string, text: string][] = Object.entries(spec.options).map(([name, option]) => [
    `--${name} ${option.value}`,
    optionText(option),
  ]);
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 3;
  const options = rows
    .map(([flag, text]) => {
      const [first, ...more] = text.split('\n');
      return [`  ${flag.padEnd(width)}${first}`, ...more.map((line) => `  ${' '.repeat(width)}${line}`)].join('\n');
    })
    .join('\n');
  return [
    `Usage: llmeter ${spec.name} [options]`,
    spec.description.trim(),
    `Options:\n${options}`,
    ...(spec.epilog === undefined ? [] : [spec.epilog.trim()]),
    EXIT_STATUS_HELP,
  ]
    .join('\n\n')
    .concat('\n');
}

// Lines of help text longer than this (after the option column) take the notes on a line of their own.
const TEXT_WIDTH = 90;

/** The option's help, with what the table says about it in parentheses after its last line. */
function optionText(option: OptionSpec): string {
  const notes: string[] = [];
  if (option.type === 'list') notes.push('repeat for several');
  if (option.type === 'string' && option.choices !== undefined) notes.push(`one of ${option.choices.join(', ')}`);
  const shownDefault = option.defaultText ?? (option.type === 'list' ? undefined : option.default);
  if (shownDefault !== undefined) notes.push(`default ${shownDefault}`);
  if (option.env !== undefined) notes.push(`env ${option.env}`);
  if (notes.length === 0) return option.help;
  const note = `(${notes.join('; ')})`;
  const lastLine = option.help.slice(option.help.lastIndexOf('\n') + 1);
  return `${option.help}${lastLine.length + 1 + note.length > TEXT_WIDTH ? '\n' : ' '}${note}`;
}
