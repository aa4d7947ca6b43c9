import type { MetricsSummary } from '@llmeter/core';
import { ConfigError } from '@llmeter/proxy/config';
import { describe, expect, it } from 'vitest';
import { demoCommand } from './demo-command.js';
import { simulateCommand } from './simulate-command.js';
import { LiveSummary } from './terminal-summary.js';

describe('llmeter demo command line', () => {
  it('has defaults: until Ctrl-C, 5 calls/s, port 8787, seed 1, realistic speed', () => {
    expect(demoCommand.parse([], {})).toEqual({
      help: false,
      values: { duration: undefined, rps: 5, port: 8787, seed: 1, speed: 1 },
      givenAs: {},
    });
  });

  it('reads --duration, --rps, --port, --seed, --speed', () => {
    expect(
      demoCommand.parse(['--duration', '30', '--rps', '2.5', '--port', '0', '--seed', '9', '--speed', '4'], {}),
    ).toMatchObject({ help: false, values: { duration: 30, rps: 2.5, port: 0, seed: 9, speed: 4 } });
    expect(demoCommand.parse(['-h'], {})).toEqual({ help: true });
  });

  it.each([
    [['--rps', '0'], '--rps must be above 0, got "0"'],
    [['--duration', 'soon'], '--duration must be a number, got "soon"'],
    [['--port', '70000'], '--port must be between 0 and 65535, got "70000"'],
    [['--seed', '1.5'], '--seed must be an integer, got "1.5"'],
    [['--nope'], "Unknown option '--nope'"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('rejects %j with a ConfigError naming the flag', (args, message) => {
    expect(() => demoCommand.parse(args, {})).toThrow(ConfigError);
    expect(() => demoCommand.parse(args, {})).toThrow(message);
  });
});

describe('llmeter simulate command line', () => {
  it('has defaults and reads every flag', () => {
    expect(simulateCommand.parse([], {})).toEqual({
      help: false,
      values: {
        host: '127.0.0.1',
        port: 8788,
        profile: 'realistic',
        seed: 1,
        'fault-rate': undefined,
        speed: 1,
      },
      givenAs: {},
    });
    expect(
      simulateCommand.parse(
        ['--port', '0', '--profile', 'scripted', '--seed', '3', '--fault-rate', '0.5', '--speed', '10'],
        {},
      ),
    ).toMatchObject({
      values: { host: '127.0.0.1', port: 0, profile: 'scripted', seed: 3, 'fault-rate': 0.5, speed: 10 },
    });
  });

  it.each([
    [['--profile', 'chaos'], '--profile must be one of realistic, scripted, got "chaos"'],
    [['--fault-rate', '2'], '--fault-rate must be between 0 and 1, got "2"'],
    [['--port=-1'], '--port must be between 0 and 65535, got "-1"'],
    [['--port', '-1'], "Option '--port' argument is ambiguous. Did you forget to specify the option argument"],
    [['--speed', '0'], '--speed must be above 0, got "0"'],
  ])('rejects %j with a ConfigError naming the flag', (args, message) => {
    expect(() => simulateCommand.parse(args, {})).toThrow(ConfigError);
    expect(() => simulateCommand.parse(args, {})).toThrow(message);
  });
});

describe('LiveSummary', () => {
  const empty: MetricsSummary = {
    models: [],
    total: {
      provider: '',
      model: '',
      requests: 3,
      errors: 0,
      errorRatio: 0,
      latency: { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN },
      timeToFirstToken: { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN },
      tokens: { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
      costUsd: 0,
      unpricedRequests: 0,
      estimatedRequests: 0,
      inFlight: 3,
    },
    providers: [],
    labelValues: {},
  };
  const header = { title: 'title', links: [['metrics', 'http://x/metrics']] as const };

  it('on a TTY, moves the cursor back over the previous table and clears it before each refresh', () => {
    const writes: string[] = [];
    const live = new LiveSummary({ isTTY: true, rows: 40, write: (text: string) => writes.push(text) });
    live.refresh(empty, header, 1);
    live.refresh(empty, header, 2);
    const lines = ['title', '', '(no calls finished yet)', '', 'metrics: http://x/metrics'];
    expect(writes).toEqual([`${lines.join('\n')}\n`, `\u001b[5F\u001b[0J${lines.join('\n')}\n`]);
  });

  it('elsewhere, writes one plain line per refresh', () => {
    const writes: string[] = [];
    const live = new LiveSummary({ write: (text: string) => writes.push(text) });
    live.refresh(empty, header, 1.2);
    expect(writes).toEqual(['[1 s] 3 requests, 0.00% errors, 0 tokens, $0.000000 total cost\n']);
  });
});
