import { describe, expect, it } from 'vitest';
import { yamlScalars } from './yaml-scalars.js';

describe('yamlScalars', () => {
  it('reads plain, quoted and block scalars with their keys and lines, and skips mappings', () => {
    const text = [
      'groups:',
      '  - name: llmeter # the group',
      '    rules:',
      '      - record: model:x:rate5m',
      '        expr: |',
      '          sum by (model) (',
      '            rate(x[5m])',
      '          )',
      '      - alert: X',
      "        expr: 'a{b=\"c\"} > 0 and ''d'''",
      '        labels:',
      '          severity: warning',
      '        annotations:',
      '          summary: "on {{ $labels.model }}"',
      '          description: >-',
      '            one',
      '            two',
      '',
      '            three',
    ].join('\n');
    expect(yamlScalars(text)).toEqual([
      { key: 'name', value: 'llmeter', line: 2 },
      { key: 'record', value: 'model:x:rate5m', line: 4 },
      { key: 'expr', value: 'sum by (model) (\n  rate(x[5m])\n)\n', line: 5 },
      { key: 'alert', value: 'X', line: 9 },
      { key: 'expr', value: 'a{b="c"} > 0 and \'d\'', line: 10 },
      { key: 'severity', value: 'warning', line: 12 },
      { key: 'summary', value: 'on {{ $labels.model }}', line: 14 },
      { key: 'description', value: 'one two\nthree', line: 15 },
    ]);
  });
});
