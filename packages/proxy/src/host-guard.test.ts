import { describe, expect, test } from 'vitest';
import { exposureWarning, hostAllowList, isLoopbackHost } from './host-guard.js';

describe('isLoopbackHost', () => {
  test.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST.', 'app.localhost', '::1', '[::1]', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  test.each(['0.0.0.0', '::', '[::]', '10.0.0.5', '192.168.1.2', 'myhost', 'localhost.example', '::ffff:10.0.0.1'])(
    '%s is not',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});

describe('hostAllowList', () => {
  const onLoopback = hostAllowList('127.0.0.1', []);
  test.each([
    '127.0.0.1:8787',
    '127.0.0.1',
    '[::1]:8787',
    '[::1]',
    'localhost:8787',
    'LocalHost:9000',
    'localhost.:8787',
    'dashboard.localhost:8787',
    '10.0.0.5:8787',
  ])('allows %s by default', (host) => {
    expect(onLoopback(host)).toBe(true);
  });

  test('allows a request without Host (HTTP/1.0; browsers always send one)', () => {
    expect(onLoopback(undefined)).toBe(true);
  });

  test.each([
    'attacker.example:8787',
    'attacker.example',
    '127.0.0.1.nip.io:8787',
    'localhost.attacker.example',
    '',
    'a b',
    '127.0.0.1:80:80',
    '127.0.0.1:http',
    '[::1',
    '[evil]:80',
    'user@127.0.0.1',
    '::1',
  ])('refuses %j by default', (host) => {
    expect(onLoopback(host)).toBe(false);
  });

  test('the listen host, when it is a name, and the allow-list: names, .domain suffixes', () => {
    const allowed = hostAllowList('proxy.lan', ['metrics.example.com', '.svc.cluster.local']);
    expect(allowed('proxy.lan:8787')).toBe(true);
    expect(allowed('PROXY.LAN.')).toBe(true);
    expect(allowed('metrics.example.com')).toBe(true);
    expect(allowed('svc.cluster.local')).toBe(true);
    expect(allowed('llmeter.default.svc.cluster.local:8787')).toBe(true);
    expect(allowed('other.example.com')).toBe(false);
    expect(allowed('evilsvc.cluster.local')).toBe(false);
    expect(allowed('metrics.example.com.attacker.example')).toBe(false);
  });

  test('"*" allows any host, even a malformed one', () => {
    const allowed = hostAllowList('127.0.0.1', ['*']);
    expect(allowed('attacker.example')).toBe(true);
    expect(allowed('a b')).toBe(true);
  });
});

describe('exposureWarning', () => {
  test('names the address and the risk when a non-loopback address has no token', () => {
    expect(exposureWarning('0.0.0.0', undefined)).toBe(
      'listening on 0.0.0.0, which other machines can reach, without a metrics token: anyone who can reach this ' +
        'port can read /metrics and the dashboard (models, labels, token counts, spend). Set a token with ' +
        '--metrics-token-file (or LLMETER_METRICS_TOKEN_FILE, or metricsTokenFile in the config file), or listen ' +
        'on 127.0.0.1',
    );
    expect(exposureWarning('::', undefined)).toContain('listening on ::,');
  });

  test('says nothing on loopback, or with a token', () => {
    expect(exposureWarning('127.0.0.1', undefined)).toBeUndefined();
    expect(exposureWarning('localhost', undefined)).toBeUndefined();
    expect(exposureWarning('0.0.0.0', 'tok')).toBeUndefined();
  });
});
