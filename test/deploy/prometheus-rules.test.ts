import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR, promtool, RULE_FILES } from './tools.js';

describe('deploy/prometheus', () => {
  it('rule files pass promtool check rules', async () => {
    const result = await promtool(['check', 'rules', ...RULE_FILES]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 13 rules found');
    expect(result.stdout).toContain('SUCCESS: 13 rules found');
  });

  it('prometheus.yml passes promtool check config, rule files included', async () => {
    // Run from elsewhere: rule_files paths must resolve from the config file's directory, not the caller's.
    const result = await promtool(['check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml')], '/');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 2 rule files found');
    expect(result.stdout).toContain('is valid prometheus config file syntax');
    expect(result.stdout).toContain('SUCCESS: 13 rules found');
    expect(result.stdout).toContain('SUCCESS: 13 rules found');
  });

  it('rule unit tests pass (promtool test rules)', async () => {
    const dir = join(PROMETHEUS_DIR, 'tests');
    const files = (await readdir(dir)).filter((name) => name.endsWith('.yml')).sort();
    expect(files).toEqual(['llmeter-alert-rules.test.yml', 'llmeter-recording-rules.test.yml']);
    const result = await promtool(['test', 'rules', ...files.map((name) => join(dir, name))]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/^\s+SUCCESS$/gm)).toHaveLength(files.length);
    expect(result.stdout).not.toContain('FAILED');
  });

  it('the unit tests cover every recording rule and every alert', async () => {
    const [recording, alerting, recordingTests, alertTests] = await Promise.all([
      readFile(RULE_FILES[0], 'utf8'),
      readFile(RULE_FILES[1], 'utf8'),
      readFile(join(PROMETHEUS_DIR, 'tests', 'llmeter-recording-rules.test.yml'), 'utf8'),
      readFile(join(PROMETHEUS_DIR, 'tests', 'llmeter-alert-rules.test.yml'), 'utf8'),
    ]);
    const records = [...recording.matchAll(/^\s*- record:\s*(\S+)\s*$/gm)].map((match) => match[1] ?? '');
    const alerts = [...alerting.matchAll(/^\s*- alert:\s*(\S+)\s*$/gm)].map((match) => match[1] ?? '');
    expect(records).toHaveLength(13);
    expect(alerts).toHaveLength(13);
    // Each recorded series is the subject of a promql_expr_test.
    const tested = [...recordingTests.matchAll(/^\s*- expr:\s*(.+)$/gm)].map((match) => match[1] ?? '');
    for (const record of records) {
      expect(
        tested.some((expr) => new RegExp(`(^|[^\\w:])${record.replaceAll(':', '\\:')}([^\\w:]|$)`).test(expr)),
        record,
      ).toBe(true);
    }
    // Each alert is tested both firing (exp_alerts with an entry) and not firing (exp_alerts: []).
    for (const alert of alerts) {
      const cases = [...alertTests.matchAll(new RegExp(`- alertname: ${alert}\\n[^\\n]*\\n\\s*exp_alerts:(.*)`, 'g'))];
      expect(
        cases.some((match) => match[1]?.trim() === '[]'),
        `${alert} not firing`,
      ).toBe(true);
      expect(
        cases.some((match) => match[1]?.trim() === ''),
        `${alert} firing`,
      ).toBe(true);
    }
  });
});
