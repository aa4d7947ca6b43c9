import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { findSamples, sampleSum } from '../../../test/support/prometheus-text.js';
import { callOutcome } from './call-outcome.js';
import { createMeter } from './meter.js';
import { PriceBook } from './pricing/index.js';
import type { CallRecord, Usage } from './record.js';
import { responseLedgerFor } from './response-ledger.js';
import { openAiWireFormat } from './wire/openai.js';

const AT = new Date('2026-06-01T12:00:00Z');

function usage(partial: Partial<Usage>): Usage {
  return { input: 10_000, output: 3000, cachedInput: 2000, cacheWrite: 0, reasoning: 0, ...partial };
}

function record(partial: Partial<CallRecord>): CallRecord {
  return {
    provider: 'openai',
    operation: 'responses',
    model: 'gpt-5',
    stream: false,
    startedAt: 1000,
    endedAt: 1250,
    usageSource: 'reported',
    usage: usage({}),
    ...partial,
  };
}

/** A real recorded response (packages/core/src/wire/fixtures/corpus, see its PROVENANCE.md). */
function corpusJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./wire/fixtures/corpus/openai/${name}`, import.meta.url), 'utf8'));
}

describe('service tiers in the metrics', () => {
  it('charges flex at its price, and counts a tier with no price of its own, charged the standard price', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, prices: new PriceBook({ now: () => AT }) });
    meter.record(record({ usage: usage({ serviceTier: 'flex' }) }));
    meter.record(record({ model: 'gpt-4o', usage: usage({ serviceTier: 'flex' }) }));
    meter.record(record({ model: 'gpt-4o', usage: usage({ serviceTier: 'scale' }) }));
    meter.record(record({ model: 'gpt-4o', usage: usage({ serviceTier: 'not-a-tier' }) }));
    meter.record(
      record({ provider: 'anthropic', model: 'claude-sonnet-4-5', usage: usage({ serviceTier: 'priority' }) }),
    );
    meter.record(record({ model: 'gpt-4o', usage: usage({}) }));
    const text = await registry.metrics();
    // gpt-5 flex: 8,000 x $0.625 + 2,000 x $0.0625 + 3,000 x $5 per MTok.
    expect(sampleSum(text, 'llm_cost_usd_total', { model: 'gpt-5' })).toBeCloseTo(0.020125, 15);
    // gpt-4o at the standard price ($2.50 / $1.25 cached / $10), four times over.
    expect(sampleSum(text, 'llm_cost_usd_total', { model: 'gpt-4o' })).toBeCloseTo(
      (4 * (8000 * 2.5 + 2000 * 1.25 + 3000 * 10)) / 1e6,
      15,
    );
    const tiers = findSamples(text, 'llm_unpriced_tier_calls_total').map((sample) => [
      sample.labels.provider,
      sample.labels.model,
      sample.labels.service_tier,
      sample.value,
    ]);
    expect(tiers.sort()).toEqual([
      ['anthropic', 'claude-sonnet-4-5', 'priority', 1],
      ['openai', 'gpt-4o', 'flex', 1],
      ['openai', 'gpt-4o', 'other', 1],
      ['openai', 'gpt-4o', 'scale', 1],
    ]);
    expect(sampleSum(text, 'llm_unpriced_requests_total')).toBe(0);
  });
});

describe('background responses in the metrics', () => {
  it('gauges the responses seen started and not yet finished, by provider and model', async () => {
    const registry = new Registry();
    createMeter({ registry });
    const ledger = responseLedgerFor(registry);
    ledger.expect('resp_1', 'gpt-5', 'openai');
    ledger.expect('resp_2', 'gpt-5', 'openai');
    ledger.expect('resp_3', '', 'openai');
    ledger.expect('resp_4', 'gpt-4o', 'openai');
    ledger.expect('resp_5', 'gpt-5', 'azure');
    ledger.expect('resp_6', 'gpt-5');
    ledger.settle('resp_4');
    const pending = async () =>
      findSamples(await registry.metrics(), 'llm_background_responses_pending').map((sample) => [
        sample.labels,
        sample.value,
      ]);
    expect(await pending()).toEqual([
      [{ provider: 'openai', model: 'gpt-5' }, 2],
      [{ provider: 'openai', model: 'unknown' }, 1],
      [{ provider: 'azure', model: 'gpt-5' }, 1],
      [{ provider: 'unknown', model: 'gpt-5' }, 1],
    ]);
    ledger.settle('resp_1');
    ledger.settle('resp_2');
    ledger.settle('resp_3');
    ledger.settle('resp_5');
    ledger.settle('resp_6');
    expect(await pending()).toEqual([]);
  });

  it('stays within the model limit of the cardinality guard', async () => {
    const registry = new Registry();
    createMeter({ registry, limits: { models: 2 } });
    const ledger = responseLedgerFor(registry);
    for (let i = 0; i < 50; i++) ledger.expect(`resp_${i}`, `model-${i}`, 'openai');
    const samples = findSamples(await registry.metrics(), 'llm_background_responses_pending');
    expect(samples.map((sample) => [sample.labels, sample.value])).toEqual([
      [{ provider: 'openai', model: 'model-0' }, 1],
      [{ provider: 'openai', model: 'model-1' }, 1],
      [{ provider: 'openai', model: 'other' }, 48],
    ]);
  });

  it('labels a poll of a response not seen created with the model the response names', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    const ledger = responseLedgerFor(registry);
    const poll = (name: string) => {
      const call = meter.start({ provider: 'openai', operation: 'responses', model: '', stream: false });
      const response = openAiWireFormat.parseResponse('responses', corpusJson(name));
      const responseId = response.responseState?.id;
      const provider = 'openai';
      call.end(callOutcome({ transport: 'complete', status: 200, response, ledger, responseId, model: '', provider }));
    };
    poll('responses-background-poll-in-progress.json');
    expect(ledger.pending()).toEqual([{ provider: 'openai', model: 'gpt-4o-2024-08-06', count: 1 }]);
    expect(ledger.pendingByModel()).toEqual(new Map([['gpt-4o-2024-08-06', 1]]));
    poll('responses-background-poll-completed.json');
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_total', { model: 'gpt-4o-2024-08-06' })).toBe(2);
    expect(sampleSum(text, 'llm_requests_total', { model: 'unknown' })).toBe(0);
    expect(sampleSum(text, 'llm_tokens_total', { model: 'gpt-4o-2024-08-06', type: 'input' })).toBe(15);
    expect(sampleSum(text, 'llm_tokens_total', { model: 'gpt-4o-2024-08-06', type: 'output' })).toBe(9);
    expect(findSamples(text, 'llm_requests_in_flight').every((sample) => sample.value === 0)).toBe(true);
    expect(ledger.pendingByModel()).toEqual(new Map());
  });
});
