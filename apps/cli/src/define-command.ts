import { parseArgs } from 'node:util';
import { ConfigError } from '@llmeter/proxy/config';
import { commandHelp } from './command-help.js';
import { type NumberRule, nonEmpty, numberOption } from './command-line.js';
import { type SignalSource, type StopHook, signalExitStatus, watchStopSignals } from './stop-signals.js';

interface OptionBase {
  /** One line, or several separated by `\n`, shown in `--help`. */
  help: string;
  /** What the value is, in `--help`: `--port PORT`. */
  value: string;
  /** An environment variable that sets the option when the flag is absent (an empty one counts as unset). */
  env?: string;
  /**
   * An empty {@link env} variable is a value, passed on for the command to check, not an unset one: for secrets,
   * where `TOKEN=` (an unset variable expanded) must be reported, never turn into "no token".
   */
  emptyEnvIsValue?: boolean;
  /**
   * The default as `--help` shows it, when the command does not apply it itself (the proxy's defaults live in its
   * configuration, under the config file), or when it is not a value (`run until Ctrl-C`).
   */
  defaultText?: string;
}

/** `--name VALUE`, a string. */
export interface StringOptionSpec extends OptionBase {
  type: 'string';
  /** Applied when neither the flag nor its environment variable is given. */
  default?: string;
  /** The values allowed; any other is a usage error naming the flag. */
  choices?: readonly string[];
}

/** `--name N`, a number checked against `rule`. */
export interface NumberOptionSpec extends OptionBase {
  type: 'number';
  rule?: NumberRule;
  default?: number;
}

/** `--name VALUE`, repeatable: every value, in order. */
export interface ListOptionSpec extends OptionBase {
  type: 'list';
  /** One variable cannot hold several values. */
  env?: never;
}

/** One option of a command; `--help` is every command's own. */
export type OptionSpec = StringOptionSpec | NumberOptionSpec | ListOptionSpec;

/** An option table: flag name (without `--`) → option. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type OptionValue<O extends OptionSpec> = O extends NumberOptionSpec
  ? number
  : O extends ListOptionSpec
    ? string[]
    : O extends { choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** The values of an option table's options: absent ones are `undefined`, unless they have a default. */
export type OptionValues<T extends OptionTable> = {
  readonly [K in keyof T]: T[K] extends { default: string | number }
    ? OptionValue<T[K]>
    : OptionValue<T[K]> | undefined;
};

/** What a command's `run` gets. */
export interface CommandContext<T extends OptionTable> {
  readonly values: OptionValues<T>;
  /**
   * How each option that has a value was given, `--port` or `LLMETER_PORT` (absent for defaults): errors about
   * a value name it the way the user wrote it.
   */
  readonly givenAs: Readonly<Partial<Record<keyof T, string>>>;
  /** The first SIGINT or SIGTERM: stop cleanly. A second one ends the command at once, without waiting for run. */
  readonly stop: StopHook;
  readonly stdout: TextOutput;
}

/** What a command's definition says. */
export interface CommandSpec<T extends OptionTable> {
  /** `llmeter NAME`. */
  name: string;
  /** One line, in `llmeter --help`. */
  summary: string;
  /** What the command does, after the usage line of `--help`. */
  description: string;
  options: T;
  /** Shown after the options in `--help` (a config file's keys, say). */
  epilog?: string;
  /** Does the work; resolves with the exit status. A {@link ConfigError} it throws exits with status 2. */
  run(context: CommandContext<T>): Promise<number>;
}

/** Where a command writes. */
export interface TextOutput {
  write(text: string): unknown;
}

/** What a command runs against; `process`'s by default, a test's own otherwise. */
export interface CommandEnvironment {
  stdout: TextOutput;
  stderr: TextOutput;
  env: Readonly<Record<string, string | undefined>>;
  signals: SignalSource;
}

/** A parsed command line: either a request for help, or the options' values. */
export type ParsedCommandLine<T extends OptionTable> =
  | { readonly help: true }
  | { readonly help: false; readonly values: OptionValues<T>; readonly givenAs: CommandContext<T>['givenAs'] };

/** A subcommand of `llmeter`. */
export interface Command<T extends OptionTable = OptionTable> {
  readonly name: string;
  readonly summary: string;
  /** The `--help` text, generated from the option table. */
  readonly help: string;
  /**
   * Reads the arguments (after the command's name) and the environment.
   * @throws {ConfigError} naming the flag or variable, on an unknown flag or a value its option does not allow.
   */
  parse(args: readonly string[], env?: CommandEnvironment['env']): ParsedCommandLine<T>;
  /**
   * Runs the command: `--help` (status 0), usage and configuration errors (status 2, a message naming the
   * flag), `run` (its status; 1 if it throws), a second SIGINT/SIGTERM while it runs (128 + the signal's number,
   * at once). Never throws.
   */
  execute(args: readonly string[], environment?: Partial<CommandEnvironment>): Promise<number>;
}

/** Exit status of a usage or configuration error. */
export const USAGE_ERROR_STATUS = 2;

/**
 * Defines a subcommand of `llmeter` from its option table: parsing (node:util parseArgs, strict), numeric and
 * choice checks naming the flag, `--help` generated from the table, exit statuses, and stop signals (the first
 * SIGINT/SIGTERM asks `run` to stop cleanly, a second ends the command at once).
 * @example
 * ```ts
 * export const greetCommand = defineCommand({
 *   name: 'greet',
 *   summary: 'Say hello',
 *   description: 'Says hello, then waits for Ctrl-C.',
 *   options: { times: { type: 'number', value: 'N', rule: POSITIVE, default: 1, help: 'How many times' } },
 *   async run({ values, stdout, stop }) {
 *     for (let i = 0; i < values.times; i += 1) stdout.write('hello\n');
 *     await stop.requested;
 *     return 0;
 *   },
 * });
 * process.exitCode = await greetCommand.execute(process.argv.slice(3));
 * ```
 */
export function defineCommand<const T extends OptionTable>(spec: CommandSpec<T>): Command<T> {
  const help = commandHelp(spec);
  const parse = (args: readonly string[], env: CommandEnvironment['env'] = process.env): ParsedCommandLine<T> => {
    const flags = parseFlags(spec.options, args);
    if (flags.help === true) return { help: true };
    const values: Record<string, unknown> = {};
    const givenAs: Record<string, string> = {};
    for (const [name, option] of Object.entries(spec.options)) {
      const flag = flags[name];
      const rawEnv = option.env === undefined ? undefined : env[option.env];
      const fromEnv = option.emptyEnvIsValue ? rawEnv : nonEmpty(rawEnv);
      if (flag !== undefined) givenAs[name] = `--${name}`;
      else if (fromEnv !== undefined && option.env !== undefined) givenAs[name] = option.env;
      values[name] = optionValue(option, givenAs[name] ?? `--${name}`, flag ?? fromEnv);
    }
    return { help: false, values: values as OptionValues<T>, givenAs: givenAs as CommandContext<T>['givenAs'] };
  };

  const execute = async (args: readonly string[], given: Partial<CommandEnvironment> = {}): Promise<number> => {
    const io: CommandEnvironment = {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signals: process,
      ...given,
    };
    const fail = (error: unknown): number => {
      if (error instanceof ConfigError) {
        // One line per problem (a config file can have several), each saying whose it is.
        const lines = error.message.split('\n').map((line) => `llmeter ${spec.name}: ${line}\n`);
        io.stderr.write(`${lines.join('')}Run "llmeter ${spec.name} --help" for usage.\n`);
        return USAGE_ERROR_STATUS;
      }
      io.stderr.write(
        `llmeter ${spec.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      return 1;
    };
    let commandLine: ParsedCommandLine<T>;
    try {
      commandLine = parse(args, io.env);
    } catch (error) {
      return fail(error);
    }
    if (commandLine.help) {
      io.stdout.write(help);
      return 0;
    }
    let stopNow: (status: number) => void = () => {};
    const cutShort = new Promise<number>((resolve) => {
      stopNow = resolve;
    });
    const watch = watchStopSignals(io.signals, (signal) => {
      io.stderr.write(`llmeter ${spec.name}: second ${signal}, stopping without waiting\n`);
      stopNow(signalExitStatus(signal));
    });
    try {
      const running = spec.run({
        values: commandLine.values,
        givenAs: commandLine.givenAs,
        stop: watch.stop,
        stdout: io.stdout,
      });
      return await Promise.race([running, cutShort]);
    } catch (error) {
      return fail(error);
    } finally {
      watch.dispose();
    }
  };

  return { name: spec.name, summary: spec.summary, help, parse, execute };
}

type FlagValue = string | string[] | boolean | undefined;

/** parseArgs over the table; its errors become usage errors. */
function parseFlags(options: OptionTable, args: readonly string[]): Record<string, FlagValue> {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, option] of Object.entries(options)) {
    config[name] = { type: 'string', multiple: option.type === 'list' };
  }
  try {
    // Only `help` is a boolean, and only lists are multiple: the values are what FlagValue says.
    return parseArgs({ args: [...args], options: config, strict: true, allowPositionals: false }).values as Record<
      string,
      FlagValue
    >;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // These go on with advice about positional arguments, which no llmeter command takes: the first sentence says it.
    const firstSentence = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
    throw new ConfigError(firstSentence ? (message.split('. ')[0] ?? message) : message.replaceAll('\n', ' '), {
      cause: error,
    });
  }
}

function optionValue(option: OptionSpec, givenAs: string, raw: FlagValue): unknown {
  switch (option.type) {
    case 'list':
      return raw;
    case 'number':
      return numberOption(givenAs, raw as string | undefined, option.rule) ?? option.default;
    case 'string': {
      const value = (raw as string | undefined) ?? option.default;
      if (value !== undefined && option.choices !== undefined && !option.choices.includes(value)) {
        throw new ConfigError(`${givenAs} must be one of ${option.choices.join(', ')}, got "${value}"`);
      }
      return value;
    }
  }
}
