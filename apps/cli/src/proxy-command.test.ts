import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_KEYS, ConfigError, DEFAULT_SETTINGS } from '@llmeter/proxy/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpstreamPairs, proxyCommand, proxySettings } from './proxy-command.js';

/** The proxy's settings for a command line and environment, as `llmeter proxy` would start with. */
function settings(args: readonly string[], env: Record<string, string> = {}) {
  const parsed = proxyCommand.parse(args, env);
  if (parsed.help) throw new Error('asked for help');
  return proxySettings(parsed);
}

function errorMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
let configPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmeter-proxy-command-'));
  configPath = join(dir, 'llmeter.yaml');
  await writeFile(
    configPath,
    ['port: 1000', 'host: 0.0.0.0', 'logLevel: warn', 'upstreams:', '  file: http://file.example'].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('llmeter proxy --help', () => {
  it('documents every flag, environment variable and config file key', () => {
    const help = proxyCommand.help;
    for (const flag of [
      '--host HOST',
      '--port PORT',
      '--upstream NAME=URL',
      '--config FILE',
      '--label-header KEY',
      '--allowed-host HOST',
      '--metrics-token TOKEN',
      '--metrics-token-file PATH',
      '--stream-usage MODE',
      '--log-level LEVEL',
      '-h, --help',
    ]) {
      expect(help).toContain(`  ${flag} `);
    }
    for (const env of [
      'LLMETER_HOST',
      'LLMETER_PORT',
      'LLMETER_CONFIG',
      'LLMETER_METRICS_TOKEN',
      'LLMETER_METRICS_TOKEN_FILE',
    ]) {
      expect(help).toContain(`env ${env}`);
    }
    const configSection = help.slice(help.indexOf('Config file (YAML)'));
    for (const key of CONFIG_KEYS) {
      const last = key.slice(key.lastIndexOf('.') + 1);
      expect(configSection, key).toMatch(new RegExp(`[ {]${last}:( |$)`, 'm'));
    }
    expect(help).toContain('default openai=https://api.openai.com anthropic=https://api.anthropic.com');
  });
});

describe('llmeter proxy settings', () => {
  it('are the defaults with nothing given', () => {
    expect(settings([])).toEqual(DEFAULT_SETTINGS);
  });

  it('flags win over the environment, which wins over the config file, field by field', () => {
    expect(settings(['--port', '3000', '--config', configPath], { LLMETER_PORT: '2000', LLMETER_HOST: '::1' })).toEqual(
      {
        ...DEFAULT_SETTINGS,
        port: 3000,
        host: '::1',
        logLevel: 'warn',
        upstreams: { file: 'http://file.example' },
      },
    );
    expect(settings([], { LLMETER_CONFIG: configPath, LLMETER_PORT: '2000' })).toMatchObject({
      port: 2000,
      host: '0.0.0.0',
    });
    expect(
      settings(['--upstream', 'a=http://a.example', '--upstream', 'b=http://b.example', '--label-header', 'team'], {
        LLMETER_CONFIG: configPath,
        LLMETER_METRICS_TOKEN: 'tok',
      }),
    ).toMatchObject({
      upstreams: { a: 'http://a.example', b: 'http://b.example' },
      labelHeaders: ['team'],
      metricsToken: 'tok',
      port: 1000,
    });
  });

  it.each([
    [['--upstream', 'openai=ftp://example.com'], {}, '--upstream openai must be an http or https URL, got ftp:'],
    [['--upstream', 'bad/name=http://x'], {}, '--upstream: name "bad/name" must be letters, digits'],
    [['--label-header', 'has-dash'], {}, '--label-header must be a Prometheus label name'],
    [['--stream-usage', 'sometimes'], {}, '--stream-usage must be one of inject, passthrough, got "sometimes"'],
    [['--port', '70000'], {}, '--port must be between 0 and 65535, got "70000"'],
    [[], { LLMETER_PORT: 'eighty' }, 'LLMETER_PORT must be an integer, got "eighty"'],
    [[], { LLMETER_HOST: 'h', LLMETER_CONFIG: '/nonexistent/llmeter.yaml' }, 'cannot read config file /nonexistent'],
  ])('errors name the flag or variable: %j %j', (args, env, message) => {
    expect(errorMessage(() => settings(args, env))).toContain(message);
  });

  it('--workers takes a count or auto, from the flag or LLMETER_WORKERS; anything else is named', () => {
    expect(settings([]).workers).toBe(1);
    expect(settings(['--workers', '3']).workers).toBe(3);
    expect(settings(['--workers', 'auto']).workers).toBe('auto');
    expect(settings([], { LLMETER_WORKERS: '2' }).workers).toBe(2);
    expect(errorMessage(() => settings(['--workers', 'many']))).toBe(
      '--workers must be a positive integer or "auto", got "many"',
    );
    expect(errorMessage(() => settings(['--workers', '0']))).toBe(
      '--workers must be a positive integer or "auto", got 0',
    );
  });

  it("errors in the config file name the file's key", async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'prots: 8080\nlimits:\n  requestBodyBytes: x\n');
    expect(errorMessage(() => settings(['--config', bad])).split('\n')).toEqual([
      `${bad}: limits.requestBodyBytes must be a positive number, got "x"`,
      expect.stringMatching(new RegExp(`^${bad}: unknown setting "prots" \\(known: host, port, `)),
    ]);
  });
});

describe('llmeter proxy security settings', () => {
  it('--allowed-host repeats; the token file is read, from the flag or the variable', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'from-file\n');
    expect(
      settings([
        '--allowed-host',
        'metrics.internal',
        '--allowed-host',
        '.svc.cluster.local',
        '--metrics-token-file',
        tokenFile,
      ]),
    ).toMatchObject({ allowedHosts: ['metrics.internal', '.svc.cluster.local'], metricsToken: 'from-file' });
    expect(settings([], { LLMETER_METRICS_TOKEN_FILE: tokenFile }).metricsToken).toBe('from-file');
    // A flag's token replaces the variable's file: both are one setting.
    expect(settings(['--metrics-token', 'flag'], { LLMETER_CONFIG: configPath }).metricsToken).toBe('flag');
  });

  it.each([
    [
      [],
      { LLMETER_METRICS_TOKEN: '' },
      'LLMETER_METRICS_TOKEN must not be empty (an empty token would turn authentication off',
    ],
    [['--metrics-token', ''], {}, '--metrics-token must not be empty'],
    [[], { LLMETER_METRICS_TOKEN_FILE: '' }, 'LLMETER_METRICS_TOKEN_FILE must be a file path, got ""'],
    [
      ['--metrics-token-file', '/nonexistent/token'],
      {},
      '--metrics-token-file: cannot read /nonexistent/token: ENOENT',
    ],
    [
      ['--metrics-token', 'a'],
      { LLMETER_METRICS_TOKEN_FILE: '/x' },
      '--metrics-token and LLMETER_METRICS_TOKEN_FILE are both set',
    ],
    [['--allowed-host', 'http://x'], {}, '--allowed-host must be a host name without port, a ".domain" suffix or "*"'],
  ])('refuses %j %j: "%s"', (args, env, message) => {
    expect(errorMessage(() => settings(args, env))).toContain(message);
  });
});

describe('--upstream pairs', () => {
  it('keep their order and split at the first "="', () => {
    expect(Object.entries(parseUpstreamPairs(['b=http://b', 'a=http://a?x=1']))).toEqual([
      ['b', 'http://b'],
      ['a', 'http://a?x=1'],
    ]);
  });

  it('refuse duplicates and pairs without a name', () => {
    expect(() => parseUpstreamPairs(['a=http://a', 'a=http://b'])).toThrow('--upstream a is given twice');
    expect(() => parseUpstreamPairs(['nourl'])).toThrow('--upstream expects NAME=URL, got "nourl"');
    expect(() => parseUpstreamPairs(['=http://x'])).toThrow('--upstream expects NAME=URL, got "=http://x"');
  });
});
