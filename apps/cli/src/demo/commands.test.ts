import type { MetricsSummary } from '@llmeter/core';
import { ConfigError } from '@llmeter/proxy/config';
import { describe, expect, it } from 'vitest';
import { parseDemoCommandLine } from './demo-command.js';
import { parseSimulateCommandLine } from './simulate-command.js';
import { LiveSummary } from './terminal-summary.js';

describe('llmeter demo command line', () => {
  it('has defaults: until Ctrl-C, 5 calls/s, port 8787', () => {
    expect(parseDemoCommandLine([])).toEqual({
      help: false,
      durationSeconds: undefined,
      rps: 5,
      port: 8787,
      seed: 1,
      speed: 1,
    });
  });

  it('reads --duration, --rps, --port, --seed, --speed', () => {
    expect(
      parseDemoCommandLine(['--duration', '30', '--rps', '2.5', '--port', '0', '--seed', '9', '--speed', '4']),
    ).toEqual({ help: false, durationSeconds: 30, rps: 2.5, port: 0, seed: 9, speed: 4 });
    expect(parseDemoCommandLine(['-h']).help).toBe(true);
  });

  it('rejects bad values and unknown flags with a ConfigError', () => {
    for (const args of [['--rps', '0'], ['--duration', 'soon'], ['--port', '70000'], ['--seed', '1.5'], ['--nope']]) {
      expect(() => parseDemoCommandLine(args), args.join(' ')).toThrow(ConfigError);
    }
  });
});

describe('llmeter simulate command line', () => {
  it('has defaults and reads every flag', () => {
    expect(parseSimulateCommandLine([])).toEqual({
      help: false,
      host: '127.0.0.1',
      port: 8788,
      profile: 'realistic',
      seed: 1,
      faultRate: undefined,
      speed: undefined,
    });
    expect(
      parseSimulateCommandLine([
        '--port',
        '0',
        '--profile',
        'scripted',
        '--seed',
        '3',
        '--fault-rate',
        '0.5',
        '--speed',
        '10',
      ]),
    ).toEqual({ help: false, host: '127.0.0.1', port: 0, profile: 'scripted', seed: 3, faultRate: 0.5, speed: 10 });
  });

  it('rejects an unknown profile and out-of-range values', () => {
    for (const args of [
      ['--profile', 'chaos'],
      ['--fault-rate', '2'],
      ['--port', '-1'],
      ['--speed', '0'],
    ]) {
      expect(() => parseSimulateCommandLine(args), args.join(' ')).toThrow(ConfigError);
    }
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
    expect(writes).toEqual(['[1 s] 3 requests, 0.0% errors, 0 tokens, $0.000000 total cost\n']);
  });
});
