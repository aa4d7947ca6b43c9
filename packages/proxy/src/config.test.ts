import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CONFIG_KEYS,
  ConfigError,
  type ConfigLayer,
  DEFAULT_SETTINGS,
  mergeConfig,
  type ProxyConfigInput,
  readConfigFile,
  resolveConfig,
} from './config.js';

/** The error `run` throws, which must be a ConfigError. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

const file = (settings: unknown): ConfigLayer => ({ source: 'config.yaml', settings });

describe('resolveConfig', () => {
  test('defaults', () => {
    const config = resolveConfig();
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8787);
    expect(config.upstreams.map((u) => [u.name, u.url.href])).toEqual([
      ['openai', 'https://api.openai.com/'],
      ['anthropic', 'https://api.anthropic.com/'],
      ['gemini', 'https://generativelanguage.googleapis.com/'],
    ]);
    expect(config.labelHeaders).toEqual([]);
    expect(config.allowedHosts).toEqual([]);
    expect(config.metricsToken).toBeUndefined();
    expect(config.streamUsage).toBe('inject');
    expect(config.logLevel).toBe('info');
    expect(config.prices).toEqual({});
    expect(config.cardinality).toEqual({});
    expect(config.limits).toEqual({ requestBodyBytes: 50 * 1024 * 1024, responseBodyBytes: 8 * 1024 * 1024 });
    expect(config.timeouts).toEqual({ upstreamMs: 600_000, shutdownMs: 10_000 });
  });

  test('later inputs win field by field; nested limits merge; undefined changes nothing', () => {
    const config = resolveConfig(
      { port: 1, host: 'a', limits: { requestBodyBytes: 10 } },
      { port: 2, limits: { responseBodyBytes: 20, models: 5, series: 300 } },
      { port: undefined, limits: { requestBodyBytes: undefined } },
    );
    expect(config.port).toBe(2);
    expect(config.host).toBe('a');
    expect(config.limits).toEqual({ requestBodyBytes: 10, responseBodyBytes: 20 });
    expect(config.cardinality).toEqual({ models: 5, series: 300 });
  });

  test('label headers lose duplicates', () => {
    const config = resolveConfig({ labelHeaders: ['team', 'team', 'feature'] });
    expect(config.labelHeaders).toEqual(['team', 'feature']);
  });

  test('an empty metrics token is refused: it would turn authentication off without a word', () => {
    expect(configError(() => resolveConfig({ metricsToken: '' })).message).toBe(
      'metricsToken must not be empty (an empty token would turn authentication off; leave it unset for none)',
    );
    const fromEnvironment: ConfigLayer = {
      source: 'environment',
      settings: { metricsToken: '' },
      names: { metricsToken: 'LLMETER_METRICS_TOKEN' },
    };
    expect(configError(() => mergeConfig([fromEnvironment])).message).toBe(
      'LLMETER_METRICS_TOKEN must not be empty (an empty token would turn authentication off; leave it unset for none)',
    );
  });

  test('a metrics token with whitespace at either end is refused: HTTP trims it, so it could never match', () => {
    expect(configError(() => resolveConfig({ metricsToken: ' tok' })).message).toBe(
      'metricsToken must not start or end with whitespace (HTTP drops it: no request could match)',
    );
    expect(configError(() => resolveConfig({ metricsToken: 'tok\n' })).message).toBe(
      'metricsToken must not start or end with whitespace (HTTP drops it: no request could match)',
    );
  });

  test('allowed hosts: names, ".domain" suffixes or "*", lower-cased, without a trailing dot', () => {
    expect(resolveConfig().allowedHosts).toEqual([]);
    expect(
      resolveConfig({ allowedHosts: ['Metrics.Example.COM.', '.svc.cluster.local', '*', 'llmeter'] }).allowedHosts,
    ).toEqual(['metrics.example.com', '.svc.cluster.local', '*', 'llmeter']);
  });

  test.each(['', 'http://x.example', 'x.example:8787', 'a b', 'x/y', '..x', '[::1]'])(
    'refuses the allowed host %j',
    (host) => {
      expect(configError(() => resolveConfig({ allowedHosts: [host] })).message).toMatch(
        /^allowedHosts\[0\] must be a host name without port, a "\.domain" suffix or "\*", got /,
      );
    },
  );

  test.each([
    [{ port: 70000 }, 'port must be an integer from 0 to 65535, got 70000'],
    [{ port: 80.5 }, 'port must be an integer from 0 to 65535, got 80.5'],
    [{ host: '' }, 'host must be a host name or IP address, got ""'],
    [
      { upstreams: { 'bad/name': 'http://x' } },
      'upstreams: name "bad/name" must be letters, digits, "_", "-" or "." (it is a path segment)',
    ],
    [{ upstreams: { a: 'not a url' } }, 'upstreams.a must be an http or https URL, got "not a url"'],
    [{ upstreams: { a: 'ftp://x' } }, 'upstreams.a must be an http or https URL, got ftp: (only http and https'],
    [{ upstreams: { a: 'http://user:pw@x' } }, 'upstreams.a must not carry a query, fragment or credentials'],
    [{ upstreams: {} }, 'upstreams must name at least one upstream'],
    [{ labelHeaders: ['has-dash'] }, 'labelHeaders[0] must be a Prometheus label name'],
    [{ labelHeaders: ['ok', '__reserved'] }, 'labelHeaders[1] must be a label name not starting with "__"'],
    [{ streamUsage: 'sometimes' }, 'streamUsage must be one of inject, passthrough, got "sometimes"'],
    [{ logLevel: 'loud' }, 'logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ timeouts: { upstreamMs: 0 } }, 'timeouts.upstreamMs must be a positive number, got 0'],
    [{ limits: { models: 2.5 } }, 'limits.models must be a positive integer, got 2.5'],
    [
      { prices: { m: { input: -1, output: 1 } } },
      'prices.m.input must be a number >= 0 (USD per million tokens), got -1',
    ],
    [{ prices: { m: { input: 1 } } }, 'prices.m.output is required'],
  ])('rejects %j: "%s"', (input, message) => {
    const error = configError(() => resolveConfig(input as never));
    expect(error.message.startsWith(message), error.message).toBe(true);
  });

  test('the secret metrics token is not echoed when it has the wrong type', () => {
    expect(configError(() => resolveConfig({ metricsToken: 12345 as never })).message).toBe(
      'metricsToken must be a string',
    );
  });
});

describe('mergeConfig: defaults < config file < environment < flags', () => {
  const environment: ConfigLayer = {
    source: 'environment',
    settings: { port: 2000, host: '0.0.0.0', metricsToken: 'from-env' },
    names: { port: 'LLMETER_PORT', host: 'LLMETER_HOST', metricsToken: 'LLMETER_METRICS_TOKEN' },
  };
  const flags: ConfigLayer = {
    source: 'flags',
    settings: { port: 3000, upstreams: { flag: 'http://flag.example' }, timeouts: { upstreamMs: 7 } },
    names: { port: '--port', upstreams: '--upstream' },
  };

  test('every field comes from the highest layer that sets it', () => {
    const settings = mergeConfig([
      file({
        port: 1000,
        logLevel: 'warn',
        upstreams: { a: 'http://a.example', b: 'http://b.example' },
        labelHeaders: ['team'],
        limits: { requestBodyBytes: 100, models: 10 },
        timeouts: { shutdownMs: 5, upstreamMs: 6 },
      }),
      environment,
      flags,
    ]);
    expect(settings).toEqual({
      ...DEFAULT_SETTINGS,
      port: 3000, // flags over environment over file
      host: '0.0.0.0', // environment over default
      metricsToken: 'from-env',
      logLevel: 'warn', // file over default
      upstreams: { flag: 'http://flag.example' }, // replaced whole, not merged with the file's a and b
      labelHeaders: ['team'],
      limits: { requestBodyBytes: 100, responseBodyBytes: DEFAULT_SETTINGS.limits.responseBodyBytes, models: 10 },
      timeouts: { shutdownMs: 5, upstreamMs: 7 }, // field by field: the file's shutdownMs, the flag's upstreamMs
    });
  });

  test('prices replace as a whole; null in a file leaves the value below', () => {
    const settings = mergeConfig([
      file({ prices: { a: { input: 1, output: 2 } }, port: 9 }),
      { source: 'flags', settings: { prices: { b: { input: 3, output: 4, cachedInput: 1 } }, port: null } },
    ]);
    expect(settings.prices).toEqual({ b: { input: 3, output: 4, cachedInput: 1 } });
    expect(settings.port).toBe(9);
  });

  test('an error names the layer that set the bad value, as that layer spells it', () => {
    const fromFile = file({ limits: { requestBodyBytes: 'x' } });
    expect(configError(() => mergeConfig([fromFile, environment, flags])).message).toBe(
      'config.yaml: limits.requestBodyBytes must be a positive number, got "x"',
    );
    // The environment's limits merge over the file's field by field; the bad field is still the file's.
    const envLimits: ConfigLayer = { source: 'environment', settings: { limits: { responseBodyBytes: 5 } } };
    expect(configError(() => mergeConfig([fromFile, envLimits])).message).toBe(
      'config.yaml: limits.requestBodyBytes must be a positive number, got "x"',
    );
    const badEnvPort = { ...environment, settings: { port: -1 } };
    expect(configError(() => mergeConfig([file({ port: 1 }), badEnvPort])).message).toBe(
      'LLMETER_PORT must be an integer from 0 to 65535, got -1',
    );
    const badFlagUpstream = { ...flags, settings: { upstreams: { openai: 'ftp://example.com' } } };
    expect(configError(() => mergeConfig([badFlagUpstream])).message).toBe(
      '--upstream openai must be an http or https URL, got ftp: (only http and https are supported)',
    );
    // A bad value that a higher layer replaces is no error.
    expect(mergeConfig([file({ port: 'eighty' }), flags]).port).toBe(3000);
  });

  test('every problem is reported, one per line', () => {
    const message = configError(() => mergeConfig([file({ port: 'x', host: 1, prots: 2 })])).message;
    expect(message.split('\n')).toEqual([
      'config.yaml: host must be a host name or IP address, got 1',
      'config.yaml: port must be an integer from 0 to 65535, got "x"',
      expect.stringMatching(/^config\.yaml: unknown setting "prots" \(known: host, port, upstreams, /),
    ]);
  });

  test.each([
    [{ prots: 8080 }, 'config.yaml: unknown setting "prots" (known: host, port, upstreams, labelHeaders, '],
    [
      { limits: { requestBodyBytes: 1, modles: 3 } },
      'config.yaml: unknown setting "limits.modles" (known: requestBodyBytes, responseBodyBytes, models, labelValues, series)',
    ],
    [{ timeouts: { upstream: 1 } }, 'config.yaml: unknown setting "timeouts.upstream" (known: upstreamMs, shutdownMs)'],
    [
      { prices: { 'my-model': { input: 1, output: 2, cached: 1 } } },
      'config.yaml: unknown setting "prices.my-model.cached" (known: input, output, cachedInput, cacheWrite)',
    ],
  ])('rejects unknown keys at every level: %j', (settings, message) => {
    expect(configError(() => mergeConfig([file(settings)])).message.startsWith(message)).toBe(true);
  });

  test.each([
    [[], 'config.yaml: expected a mapping of settings at the top level'],
    ['port: 80', 'config.yaml: expected a mapping of settings at the top level'],
    [{ upstreams: ['http://x'] }, 'config.yaml: upstreams must be a mapping of names to URLs'],
    [{ upstreams: { a: 5 } }, 'config.yaml: upstreams.a must be a URL, got 5'],
    [{ labelHeaders: 'team' }, 'config.yaml: labelHeaders must be a list of label names, got "team"'],
    [{ labelHeaders: [1] }, 'config.yaml: labelHeaders[0] must be a label name, got 1'],
    [{ limits: [1] }, 'config.yaml: limits must be a mapping of settings, got Array'],
    [{ limits: 5 }, 'config.yaml: limits must be a mapping of settings, got 5'],
    [{ timeouts: { shutdownMs: '1s' } }, 'config.yaml: timeouts.shutdownMs must be a positive number, got "1s"'],
    [{ prices: { m: 1 } }, 'config.yaml: prices.m must be a mapping of settings, got 1'],
    [{ prices: { m: { input: '1', output: 1 } } }, 'config.yaml: prices.m.input must be a number >= 0'],
    [{ port: '80' }, 'config.yaml: port must be an integer from 0 to 65535, got "80"'],
    [{ streamUsage: true }, 'config.yaml: streamUsage must be one of inject, passthrough, got true'],
  ])('rejects values of the wrong type: %j', (settings, message) => {
    expect(configError(() => mergeConfig([file(settings)])).message.startsWith(message)).toBe(true);
  });

  test('a validation error keeps the issues as its cause', () => {
    const error = configError(() => mergeConfig([file({ port: 'x' })]));
    expect(error.cause).toMatchObject({ name: 'ValiError', issues: [{ input: 'x', path: [{ key: 'port' }] }] });
  });

  test('workers: 1 by default, a positive integer or "auto"; anything else is named', () => {
    expect(mergeConfig([]).workers).toBe(1);
    expect(mergeConfig([{ source: 'llmeter.yaml', settings: { workers: 4 } }]).workers).toBe(4);
    expect(mergeConfig([{ source: 'llmeter.yaml', settings: { workers: 'auto' } }]).workers).toBe('auto');
    expect(() => mergeConfig([{ source: 'llmeter.yaml', settings: { workers: 0 } }])).toThrow(
      'llmeter.yaml: workers must be a positive integer or "auto", got 0',
    );
    expect(() =>
      mergeConfig([{ source: 'command line', settings: { workers: 'many' }, names: { workers: '--workers' } }]),
    ).toThrow('--workers must be a positive integer or "auto", got "many"');
  });

  test('CONFIG_KEYS lists every setting the schema knows', () => {
    expect(CONFIG_KEYS).toEqual([
      'host',
      'port',
      'upstreams',
      'labelHeaders',
      'allowedHosts',
      'metricsToken',
      'metricsTokenFile',
      'streamUsage',
      'logLevel',
      'prices',
      'budgets',
      'keyIdSalt',
      'limits',
      'timeouts',
      'workers',
      'prices.*.input',
      'prices.*.output',
      'prices.*.cachedInput',
      'prices.*.cacheWrite',
      'limits.requestBodyBytes',
      'limits.responseBodyBytes',
      'limits.models',
      'limits.labelValues',
      'limits.series',
      'timeouts.upstreamMs',
      'timeouts.shutdownMs',
    ]);
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmeter-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads every setting of a YAML file, checked by the merge', async () => {
    const path = join(dir, 'every.yaml');
    await writeFile(
      path,
      [
        'port: 9000',
        'upstreams:',
        '  local: http://127.0.0.1:8000',
        'labelHeaders: [team]',
        'prices:',
        '  my-model: { input: 1, output: 2 }',
        'limits:',
        '  requestBodyBytes: 100',
        '  models: 10',
        'timeouts:',
        '  shutdownMs: 1',
      ].join('\n'),
    );
    const layer = readConfigFile(path);
    expect(layer.source).toBe(path);
    const config = resolveConfig(mergeConfig([layer]));
    expect(config).toMatchObject({
      port: 9000,
      upstreams: [{ name: 'local', url: new URL('http://127.0.0.1:8000') }],
      labelHeaders: ['team'],
      prices: { 'my-model': { input: 1, output: 2 } },
      limits: { requestBodyBytes: 100 },
      cardinality: { models: 10 },
      timeouts: { shutdownMs: 1, upstreamMs: 600_000 },
    });
  });

  test('an empty file sets nothing', async () => {
    const path = join(dir, 'empty.yaml');
    await writeFile(path, '');
    expect(mergeConfig([readConfigFile(path)])).toEqual(DEFAULT_SETTINGS);
  });

  test('the metrics token can come from a file, its trailing line breaks trimmed', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 's3cret\r\n');
    const settings = mergeConfig([file({ metricsTokenFile: path })]);
    expect(settings.metricsToken).toBe('s3cret');
    expect(settings).not.toHaveProperty('metricsTokenFile');
    // The settings start a proxy as they are: the file is not read twice.
    expect(resolveConfig(settings).metricsToken).toBe('s3cret');
  });

  test('the token and the token file are one setting: a higher layer replaces either; one layer cannot set both', async () => {
    const path = join(dir, 'token-layers');
    await writeFile(path, 'from-file\n');
    const flags = (settings: ProxyConfigInput): ConfigLayer => ({
      source: 'command line',
      settings,
      names: { metricsToken: '--metrics-token', metricsTokenFile: '--metrics-token-file' },
    });
    expect(mergeConfig([file({ metricsToken: 'in-yaml' }), flags({ metricsTokenFile: path })]).metricsToken).toBe(
      'from-file',
    );
    expect(mergeConfig([file({ metricsTokenFile: path }), flags({ metricsToken: 'flag' })]).metricsToken).toBe('flag');
    expect(configError(() => mergeConfig([flags({ metricsToken: 'flag', metricsTokenFile: path })])).message).toBe(
      '--metrics-token and --metrics-token-file are both set: give the token one way',
    );
  });

  test('a token file that cannot be read, or holds no usable token, is a ConfigError naming the setting', async () => {
    const missing = join(dir, 'no-token');
    const environment: ConfigLayer = {
      source: 'environment',
      settings: { metricsTokenFile: missing },
      names: { metricsTokenFile: 'LLMETER_METRICS_TOKEN_FILE' },
    };
    const unreadable = configError(() => mergeConfig([environment]));
    expect(unreadable.message).toBe(
      `LLMETER_METRICS_TOKEN_FILE: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
    expect(unreadable.cause).toMatchObject({ code: 'ENOENT' });

    const empty = join(dir, 'empty-token');
    await writeFile(empty, '\n');
    expect(configError(() => mergeConfig([file({ metricsTokenFile: empty })])).message).toBe(
      `config.yaml: metricsTokenFile ${empty} must not be empty (an empty token would turn authentication off; leave it unset for none)`,
    );
    const spaced = join(dir, 'spaced-token');
    await writeFile(spaced, 'tok \n');
    expect(configError(() => mergeConfig([file({ metricsTokenFile: spaced })])).message).toBe(
      `config.yaml: metricsTokenFile ${spaced} must not start or end with whitespace (HTTP drops it: no request could match)`,
    );
  });

  test('a file that cannot be read or parsed is a ConfigError that keeps the cause', async () => {
    const missing = join(dir, 'missing.yaml');
    const unreadable = configError(() => readConfigFile(missing));
    expect(unreadable.message).toContain(`cannot read config file ${missing}: ENOENT`);
    expect(unreadable.cause).toMatchObject({ code: 'ENOENT' });

    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'port: [1\n');
    const unparsable = configError(() => readConfigFile(broken));
    expect(unparsable.message).toContain(`config file ${broken} is not valid YAML`);
    expect(unparsable.cause).toMatchObject({ name: 'YAMLParseError' });
  });
});
