import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool, RULE_FILES } from '../deploy/tools.js';
import { TEST_FOR, TEST_RANGE, testPrometheusConfig, testRuleFile } from './test-copies.js';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function rulesOf(text: string): Rule[] {
  return (parse(text) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
}

describe('test copies of the shipped rules (alert-delivery.test.ts runs them)', () => {
  it('change only the range windows and `for`, rule by rule', async () => {
    for (const file of RULE_FILES) {
      const original = rulesOf(await readFile(file, 'utf8'));
      const copy = rulesOf(await testRuleFile(file));
      expect(copy).toHaveLength(original.length);
      copy.forEach((rule, index) => {
        const shipped = original[index];
        expect(rule, `${basename(file)} rule ${index}`).toEqual({
          ...shipped,
          expr: shipped?.expr.replace(/\[\d+[smhdwy]\]/g, `[${TEST_RANGE}]`),
          ...(shipped?.for === undefined ? {} : { for: TEST_FOR }),
        });
      });
    }
  });

  it('pass promtool check config, with the Prometheus config derived from deploy/prometheus/prometheus.yml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmeter-test-copies-'));
    try {
      const ruleFiles: Record<string, string> = {};
      for (const file of RULE_FILES) {
        ruleFiles[basename(file)] = join(dir, basename(file));
        await writeFile(join(dir, basename(file)), await testRuleFile(file));
      }
      const config = join(dir, 'prometheus.yml');
      await writeFile(
        config,
        await testPrometheusConfig({ ruleFiles, alertmanager: '127.0.0.1:9093', proxy: '127.0.0.1:8787' }),
      );
      const result = await promtool(['check', 'config', config]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('SUCCESS: 2 rule files found');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
