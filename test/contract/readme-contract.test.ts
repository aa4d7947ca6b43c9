import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { METRIC_KEYS } from '@llmeter/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './deploy-references.js';
import { contractSection, documentedMetrics, readmeDifferences } from './readme-contract.js';

// The README's "The metric contract" section documents the contract of packages/core/src/metric-contract.ts:
// its metric table (names, types, extra labels), common labels, label values and buckets must say what the
// contract says, so that neither can change without the other.

let readme: string;

beforeAll(async () => {
  readme = await readFile(join(ROOT, 'README.md'), 'utf8');
});

/** The README with one edit; a pattern, so that the table's column widths may change. */
function edited(from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? readme.includes(from) : from.test(readme);
  if (!found) throw new Error(`README.md does not contain ${String(from)}`);
  return readme.replace(from, to);
}

describe('the README’s metric contract section', () => {
  it('has one table row per metric', () => {
    expect(documentedMetrics(contractSection(readme))).toHaveLength(METRIC_KEYS.length);
    expect(documentedMetrics(contractSection(readme))[0]).toEqual({
      name: 'llm_requests_total',
      type: 'counter',
      labels: ['status'],
    });
  });

  it('says what the contract says', () => {
    expect(readmeDifferences(readme)).toEqual([]);
  });
});

describe('the check itself finds a drift', () => {
  it('a metric missing from the table, or one the contract does not have', () => {
    const row = readme.split('\n').find((line) => line.startsWith('| `llm_usage_estimated_total`')) ?? '';
    expect(readmeDifferences(edited(`${row}\n`, ''))).toEqual([
      "llm_usage_estimated_total (counter) is not in the README's metric table",
    ]);
    expect(readmeDifferences(edited(row, row.replace('llm_usage_estimated_total', 'llm_usage_guessed_total')))).toEqual(
      [
        "llm_usage_estimated_total (counter) is not in the README's metric table",
        "llm_usage_guessed_total is in the README's metric table but not in the contract",
      ],
    );
  });

  it('a type or a label that differs', () => {
    expect(readmeDifferences(edited(/(\| `llm_requests_in_flight` +\| )Gauge/, '$1Counter'))).toEqual([
      'llm_requests_in_flight: type and extra labels: README says ["counter",[]], the contract ["gauge",[]]',
    ]);
    expect(readmeDifferences(edited(/(\| Counter +\| )`error_type`/, '$1`reason`'))).toEqual([
      'llm_request_failures_total: type and extra labels: README says ["counter",["reason"]], the contract ["counter",["error_type"]]',
    ]);
  });

  it('a label value or a bucket that differs', () => {
    expect(readmeDifferences(edited('| `overloaded`   |', '| `unavailable`  |'))).toEqual([
      expect.stringMatching(/^error types: README says \[.*"unavailable".*\], the contract \[.*"overloaded".*\]$/),
    ]);
    expect(readmeDifferences(edited('0.75, 1, 2.5, 5, 7.5, 10]', '0.75, 1, 2.5, 5, 10]'))).toEqual([
      expect.stringMatching(/^time to first token buckets: /),
    ]);
  });
});
