import { EventEmitter } from 'node:events';
import { ConfigError } from '@llmeter/proxy/config';
import { describe, expect, it } from 'vitest';
import { PORT, POSITIVE } from './command-line.js';
import { type CommandContext, type CommandEnvironment, defineCommand } from './define-command.js';

const OPTIONS = {
  times: { type: 'number', value: 'N', rule: POSITIVE, help: 'How many greetings', default: 1, env: 'GREET_TIMES' },
  port: { type: 'number', value: 'PORT', rule: PORT, help: 'Where to listen', defaultText: 'any' },
  tone: {
    type: 'string',
    value: 'TONE',
    choices: ['warm', 'dry'],
    help: 'warm: with a smile;\ndry: without',
    default: 'warm',
  },
  name: { type: 'list', value: 'NAME', help: 'Who to greet' },
} as const;

type Run = (context: CommandContext<typeof OPTIONS>) => Promise<number>;

function greet(run: Run = async () => 0) {
  return defineCommand({
    name: 'greet',
    summary: 'Say hello',
    description: 'Says hello.',
    options: OPTIONS,
    epilog: 'Be nice.',
    run,
  });
}

/** A command environment of the test's own: collected output, an emitter for signals, no process environment. */
function environment(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  const io: CommandEnvironment = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env,
    signals,
  };
  return { io, signals, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('defineCommand', () => {
  it('generates --help from the option table, and answers it with status 0 without running', async () => {
    let ran = false;
    const command = greet(async () => {
      ran = true;
      return 0;
    });
    expect(command.help).toBe(`Usage: llmeter greet [options]

Says hello.

Options:
  --times N     How many greetings (default 1; env GREET_TIMES)
  --port PORT   Where to listen (default any)
  --tone TONE   warm: with a smile;
                dry: without (one of warm, dry; default warm)
  --name NAME   Who to greet (repeat for several)
  -h, --help    Show this help

Be nice.

Exit status: 0 when done or stopped by SIGINT/SIGTERM, 2 on a usage or configuration error, 1 on any other
failure. The first SIGINT/SIGTERM stops cleanly; a second one stops at once (status 130 or 143).
`);
    for (const flag of ['--help', '-h']) {
      const { io, stdout, stderr } = environment();
      // --help wins over a value that would be an error.
      expect(await command.execute(['--times', 'x', flag], io)).toBe(0);
      expect(stdout()).toBe(command.help);
      expect(stderr()).toBe('');
    }
    expect(ran).toBe(false);
  });

  it('gives run the values: flags over environment over defaults, and how each was given', async () => {
    const seen: unknown[] = [];
    const command = greet(async ({ values, givenAs }) => {
      seen.push(values, givenAs);
      return 0;
    });
    const { io } = environment({ GREET_TIMES: '3' });
    expect(await command.execute(['--name', 'ada', '--name', 'bob'], io)).toBe(0);
    expect(seen).toEqual([
      { times: 3, port: undefined, tone: 'warm', name: ['ada', 'bob'] },
      { times: 'GREET_TIMES', name: '--name' },
    ]);
    expect(command.parse(['--times', '2'], { GREET_TIMES: '3' })).toEqual({
      help: false,
      values: { times: 2, port: undefined, tone: 'warm', name: undefined },
      givenAs: { times: '--times' },
    });
    // An empty variable is unset.
    expect(command.parse([], { GREET_TIMES: '' })).toMatchObject({ values: { times: 1 }, givenAs: {} });
  });

  it.each([
    [['--times', '0'], {}, '--times must be above 0, got "0"'],
    [[], { GREET_TIMES: 'many' }, 'GREET_TIMES must be a number, got "many"'],
    [['--port', '80.5'], {}, '--port must be an integer, got "80.5"'],
    [['--tone', 'loud'], {}, '--tone must be one of warm, dry, got "loud"'],
    [['--nope'], {}, "Unknown option '--nope'"],
    [['--port'], {}, "Option '--port <value>' argument missing"],
    [['hello'], {}, "Unexpected argument 'hello'"],
  ])('a usage error %j %j exits 2 with a message naming the flag', async (args, env, message) => {
    let ran = false;
    const command = greet(async () => {
      ran = true;
      return 0;
    });
    const { io, stdout, stderr } = environment(env);
    expect(await command.execute(args, io)).toBe(2);
    expect(stderr()).toBe(`llmeter greet: ${message}\nRun "llmeter greet --help" for usage.\n`);
    expect(stdout()).toBe('');
    expect(ran).toBe(false);
  });

  it("exits with run's status, 2 for a ConfigError it throws, 1 for any other error", async () => {
    const statuses: number[] = [];
    const outputs: string[] = [];
    for (const run of [
      async () => 7,
      async () => {
        throw new ConfigError('port 1 is taken');
      },
      async () => {
        throw new TypeError('boom');
      },
    ]) {
      const { io, stderr } = environment();
      statuses.push(await greet(run).execute([], io));
      outputs.push(stderr());
    }
    expect(statuses).toEqual([7, 2, 1]);
    expect(outputs[0]).toBe('');
    expect(outputs[1]).toBe('llmeter greet: port 1 is taken\nRun "llmeter greet --help" for usage.\n');
    expect(outputs[2]).toMatch(/^llmeter greet: TypeError: boom\n {4}at /);
  });

  it('the first SIGTERM or SIGINT asks run to stop; the handlers are gone once it returns', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { io, signals, stderr } = environment();
      const command = greet(async ({ stop }) => {
        const received = await stop.requested;
        expect(stop.signal.aborted).toBe(true);
        expect(stop.signal.reason).toBe(signal);
        return received === signal ? 0 : 1;
      });
      const status = command.execute([], io);
      await new Promise((resolve) => setImmediate(resolve));
      expect(signals.listenerCount(signal)).toBe(1);
      signals.emit(signal, signal);
      expect(await status).toBe(0);
      expect(stderr()).toBe('');
      expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    }
  });

  it('a second signal ends the command at once, with 128 + its number, while run still waits', async () => {
    for (const [signal, expected] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const { io, signals, stderr } = environment();
      let stopping = false;
      const command = greet(async ({ stop }) => {
        await stop.requested;
        stopping = true;
        // A shutdown that never finishes: only the second signal can end the command.
        await new Promise(() => {});
        return 0;
      });
      const status = command.execute([], io);
      await new Promise((resolve) => setImmediate(resolve));
      signals.emit('SIGINT', 'SIGINT');
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopping).toBe(true);
      signals.emit(signal, signal);
      expect(await status).toBe(expected);
      expect(stderr()).toBe(`llmeter greet: second ${signal}, stopping without waiting\n`);
      expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    }
  });
});
