import { createMeter, type Meter, summarizeMetrics } from '@llmeter/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { recordTimedCall, usage } from '../../../../test/support/call-records.js';
import { renderSummaryLine, renderSummaryTable } from './terminal-summary.js';

function newMeter(): { registry: Registry; meter: Meter } {
  const registry = new Registry();
  return { registry, meter: createMeter({ registry, labelNames: ['team'] }) };
}

describe('terminal summary', () => {
  it('renders one aligned row per model and a total line', async () => {
    const { registry, meter } = newMeter();
    for (let i = 0; i < 10; i++) {
      recordTimedCall(meter, { seconds: 0.3, usage: usage({ input: 1000, output: 500 }) });
      recordTimedCall(meter, { seconds: 1.0, usage: usage({ input: 1000, output: 500 }) });
    }
    recordTimedCall(meter, { seconds: 0.05, errorType: 'rate_limit' });
    recordTimedCall(meter, { provider: 'anthropic', model: 'claude-sonnet-4-5', seconds: 2, ttftSeconds: 0.3 });
    const summary = await summarizeMetrics(registry);
    // p95 of gpt-4o: 21 observations, rank 19.95 in (0.64, 1.28] holding 12 to 21: 0.64 + 0.64 × 8.95/10 = 1.2128.
    // The dashboard's formatters: error ratios below 10 % with two decimals (1/21 = 4.76 %), unknown as `–`.
    expect(renderSummaryTable(summary)).toEqual([
      'model              provider   requests  errors  p95 latency  p95 TTFT  tokens       cost',
      'gpt-4o             openai           21   4.76%       1.21 s         –  30,000  $0.150000',
      'claude-sonnet-4-5  anthropic         1   0.00%       2.50 s    488 ms       0  $0.000000',
      '─────────────────  ─────────  ────────  ──────  ───────────  ────────  ──────  ─────────',
      'total                               22   4.55%       1.27 s    488 ms  30,000  $0.150000',
    ]);
    expect(renderSummaryLine(summary, 12.4)).toBe(
      '[12 s] 22 requests, 4.55% errors, 30,000 tokens, $0.150000 total cost',
    );
    expect(renderSummaryTable(summary, 1)).toContain('… 1 more');
  });
});
