import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { findSamples, parseSamples, sampleSum } from '../../../test/support/prometheus-text.js';
import { DEFAULT_CARDINALITY_LIMITS } from './cardinality-guard.js';
import { createMeter, MeterConfigError, metricsVersion } from './meter.js';
import { METRIC_KEYS, METRICS, metricName } from './metric-contract.js';
import { PriceBook } from './pricing/index.js';
import type { CallRecord, Usage } from './record.js';

function usage(partial: Partial<Usage>): Usage {
  return { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0, ...partial };
}

function record(partial: Partial<CallRecord> = {}): CallRecord {
  return {
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    stream: false,
    startedAt: 1000,
    endedAt: 1250,
    usageSource: 'reported',
    usage: usage({ input: 1000, output: 200, cachedInput: 400, reasoning: 50 }),
    ...partial,
  };
}

const openaiChat = { provider: 'openai', model: 'gpt-4o', operation: 'chat' };

describe('the metric contract', () => {
  it('registers exactly these metrics, types, labels and buckets', async () => {
    const registry = new Registry();
    createMeter({ registry, labelNames: ['team'] });
    const metrics = await registry.getMetricsAsJSON();
    const shape = Object.fromEntries(metrics.map((m) => [m.name, m.type]));
    expect(shape).toEqual({
      llm_requests_total: 'counter',
      llm_request_failures_total: 'counter',
      llm_request_duration_seconds: 'histogram',
      llm_time_to_first_token_seconds: 'histogram',
      llm_time_per_output_token_seconds: 'histogram',
      llm_tokens_total: 'counter',
      llm_cost_usd_total: 'counter',
      llm_unpriced_requests_total: 'counter',
      llm_usage_estimated_total: 'counter',
      llm_usage_missing_total: 'counter',
      llm_server_tool_calls_total: 'counter',
      llm_unpriced_tier_calls_total: 'counter',
      llm_series_overflow_total: 'counter',
      llm_requests_in_flight: 'gauge',
      llm_background_responses_pending: 'gauge',
      llm_budget_usd: 'gauge',
      llm_budget_spent_usd: 'gauge',
      llm_ratelimit_limit: 'gauge',
      llm_ratelimit_remaining: 'gauge',
      llm_ratelimit_reset_seconds: 'gauge',
      llm_proxy_refused_total: 'counter',
      llm_proxy_upstream_connection_errors_total: 'counter',
      llm_proxy_overhead_seconds: 'histogram',
    });

    const meter = createMeter({ registry });
    meter.record(record({ stream: true, firstTokenAt: 1100, labels: { team: 'ads' } }));
    meter.record(record({ errorType: 'rate_limit', usage: undefined, usageSource: 'none' }));
    meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false });
    meter.observeRateLimits('openai', 'gpt-4o', (name) => (name === 'x-ratelimit-limit-tokens' ? '1000' : undefined));
    meter.refused('request_too_large');
    meter.upstreamConnectionError('openai');
    meter.observeProxyOverhead('openai', 0.0003);
    const text = await registry.metrics();
    const labelSets = (name: string) => [
      ...new Set(findSamples(text, name).map((sample) => Object.keys(sample.labels).sort().join(','))),
    ];
    expect(labelSets('llm_requests_total')).toEqual(['model,operation,provider,status,team']);
    expect(labelSets('llm_request_failures_total')).toEqual(['error_type,model,operation,provider,team']);
    expect(labelSets('llm_request_duration_seconds_count')).toEqual(['model,operation,provider,status,team']);
    expect(labelSets('llm_time_to_first_token_seconds_count')).toEqual(['model,operation,provider,team']);
    expect(labelSets('llm_tokens_total')).toEqual(['model,operation,provider,team,type']);
    expect(labelSets('llm_cost_usd_total')).toEqual(['model,operation,provider,team']);
    expect(labelSets('llm_requests_in_flight')).toEqual(['model,operation,provider,team']);
    // Rate limits and the proxy's own work are not about one call: no operation, no user labels.
    expect(labelSets('llm_ratelimit_limit')).toEqual(['model,provider,resource']);
    expect(labelSets('llm_proxy_refused_total')).toEqual(['reason']);
    expect(labelSets('llm_proxy_upstream_connection_errors_total')).toEqual(['provider']);
    expect(labelSets('llm_proxy_overhead_seconds_count')).toEqual(['provider']);
    expect(findSamples(text, 'llm_proxy_overhead_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.00005', 0],
      ['0.0001', 0],
      ['0.00025', 0],
      ['0.0005', 1],
      ['0.001', 1],
      ['0.0025', 1],
      ['0.005', 1],
      ['0.01', 1],
      ['0.025', 1],
      ['0.05', 1],
      ['0.1', 1],
      ['+Inf', 1],
    ]);

    expect(
      findSamples(text, 'llm_request_duration_seconds_bucket', { status: 'ok', team: 'ads' }).map((s) => s.labels.le),
    ).toEqual([
      '0.01',
      '0.02',
      '0.04',
      '0.08',
      '0.16',
      '0.32',
      '0.64',
      '1.28',
      '2.56',
      '5.12',
      '10.24',
      '20.48',
      '40.96',
      '81.92',
      '+Inf',
    ]);
    expect(
      findSamples(text, 'llm_time_to_first_token_seconds_bucket', { team: 'ads' }).map((s) => s.labels.le),
    ).toEqual([
      '0.001',
      '0.005',
      '0.01',
      '0.02',
      '0.04',
      '0.06',
      '0.08',
      '0.1',
      '0.25',
      '0.5',
      '0.75',
      '1',
      '2.5',
      '5',
      '7.5',
      '10',
      '+Inf',
    ]);
    expect(
      findSamples(text, 'llm_time_per_output_token_seconds_bucket', { team: 'ads' }).map((s) => s.labels.le),
    ).toEqual([
      '0.01',
      '0.025',
      '0.05',
      '0.075',
      '0.1',
      '0.15',
      '0.2',
      '0.3',
      '0.4',
      '0.5',
      '0.75',
      '1',
      '2.5',
      '+Inf',
    ]);
  });

  it('builds every metric of the contract, with its help text, under the prefix', async () => {
    const registry = new Registry();
    createMeter({ registry, prefix: 'acme_llm_' });
    const registered = (await registry.getMetricsAsJSON()).map((m) => [m.name, m.type, m.help]);
    expect(registered).toEqual(
      METRIC_KEYS.map((key) => [`acme_llm_${METRICS[key].name}`, METRICS[key].type, METRICS[key].help]),
    );
  });

  it('takes a prefix and bucket overrides', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, prefix: 'acme_llm_', buckets: { duration: [0.5, 1] } });
    meter.record(record());
    const text = await registry.metrics();
    expect(sampleSum(text, 'acme_llm_requests_total')).toBe(1);
    expect(findSamples(text, 'acme_llm_request_duration_seconds_bucket').map((s) => s.labels.le)).toEqual([
      '0.5',
      '1',
      '+Inf',
    ]);
    expect(findSamples(text, 'llm_requests_total')).toEqual([]);
  });

  it('rejects names Prometheus would not take', () => {
    expect(() => createMeter({ registry: new Registry(), prefix: 'bad-prefix' })).toThrow(MeterConfigError);
    expect(() => createMeter({ registry: new Registry(), labelNames: ['model'] })).toThrow(MeterConfigError);
    expect(() => createMeter({ registry: new Registry(), labelNames: ['has-dash'] })).toThrow(/cannot be a user label/);
    expect(() => createMeter({ registry: new Registry(), labelNames: ['__hidden'] })).toThrow(MeterConfigError);
  });
});

describe('recording a call', () => {
  it('counts a successful call: request, duration, tokens by type and cost', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.record(record());
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_total', { ...openaiChat, status: 'ok' })).toBe(1);
    expect(sampleSum(text, 'llm_requests_total', { status: 'error' })).toBe(0);
    expect(sampleSum(text, 'llm_request_duration_seconds_count', { status: 'ok' })).toBe(1);
    expect(sampleSum(text, 'llm_request_duration_seconds_sum', { status: 'ok' })).toBeCloseTo(0.25, 12);
    expect(sampleSum(text, 'llm_request_duration_seconds_bucket', { status: 'ok', le: '0.16' })).toBe(0);
    expect(sampleSum(text, 'llm_request_duration_seconds_bucket', { status: 'ok', le: '0.32' })).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(1000);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'output' })).toBe(200);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'cached_input' })).toBe(400);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'reasoning' })).toBe(50);
    // No cache writes: the series is not created, rather than a 0 that says nothing.
    expect(findSamples(text, 'llm_tokens_total', { type: 'cache_write' })).toEqual([]);
    // gpt-4o: $2.50 per million input, $1.25 cached, $10 output (genai-prices data).
    expect(sampleSum(text, 'llm_cost_usd_total', openaiChat)).toBeCloseTo(
      (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6,
      12,
    );
    expect(sampleSum(text, 'llm_unpriced_requests_total')).toBe(0);
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_count')).toBe(0);
  });

  it('counts a failure by error_type, with no tokens and no cost', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.record(record({ errorType: 'rate_limit', usage: undefined, usageSource: 'none' }));
    meter.record(record({ errorType: 'rate_limit', usage: undefined, usageSource: 'none' }));
    meter.record(record({ errorType: 'timeout', usage: undefined, usageSource: 'none' }));
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_total', { status: 'error' })).toBe(3);
    expect(sampleSum(text, 'llm_request_failures_total', { error_type: 'rate_limit' })).toBe(2);
    expect(sampleSum(text, 'llm_request_failures_total', { error_type: 'timeout' })).toBe(1);
    expect(sampleSum(text, 'llm_request_duration_seconds_count', { status: 'error' })).toBe(3);
    expect(sampleSum(text, 'llm_tokens_total')).toBe(0);
    expect(sampleSum(text, 'llm_cost_usd_total')).toBe(0);
    expect(sampleSum(text, 'llm_unpriced_requests_total')).toBe(0);
  });

  it('times a stream: time to first token and time per output token', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    // 1000 ms start, first token at 1300, end at 2300, 11 output tokens: 1 s / 10 = 0.1 s per token.
    meter.record(record({ stream: true, firstTokenAt: 1300, endedAt: 2300, usage: usage({ input: 10, output: 11 }) }));
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_count')).toBe(1);
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_sum')).toBeCloseTo(0.3, 12);
    expect(sampleSum(text, 'llm_time_per_output_token_seconds_count')).toBe(1);
    expect(sampleSum(text, 'llm_time_per_output_token_seconds_sum')).toBeCloseTo(0.1, 12);
    expect(sampleSum(text, 'llm_request_duration_seconds_sum')).toBeCloseTo(1.3, 12);
  });

  it('prices by the response model when known, and counts unknown models as unpriced', async () => {
    const registry = new Registry();
    const prices = new PriceBook({ bundled: false, overrides: { 'gpt-4o-2024-08-06': { input: 1, output: 2 } } });
    const meter = createMeter({ registry, prices });
    meter.record(
      record({ model: 'gpt-4o', responseModel: 'gpt-4o-2024-08-06', usage: usage({ input: 1e6, output: 1e6 }) }),
    );
    meter.record(record({ model: 'my-finetune', usage: usage({ input: 5, output: 5 }) }));
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_cost_usd_total', { model: 'gpt-4o' })).toBeCloseTo(3, 12);
    expect(sampleSum(text, 'llm_cost_usd_total', { model: 'my-finetune' })).toBe(0);
    expect(sampleSum(text, 'llm_unpriced_requests_total', { model: 'my-finetune' })).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { model: 'my-finetune', type: 'input' })).toBe(5);
  });

  it('marks locally counted usage as estimated', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.record(record({ usageSource: 'estimated', usage: usage({ input: 12, output: 3 }) }));
    meter.record(record());
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_usage_estimated_total')).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(1012);
  });
});

describe('calls in flight', () => {
  it('counts a call from start to end, and ends it exactly once', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    const call = meter.start({ provider: 'anthropic', model: 'claude-haiku-4-5', operation: 'chat', stream: true });
    const other = meter.start({ provider: 'anthropic', model: 'claude-haiku-4-5', operation: 'chat', stream: true });
    expect(sampleSum(await registry.metrics(), 'llm_requests_in_flight')).toBe(2);
    call.markFirstToken(call.startedAt + 50);
    call.markFirstToken(call.startedAt + 90);
    expect(call.end({ usage: usage({ input: 10, output: 2 }), endedAt: call.startedAt + 100 })).toBe(true);
    expect(call.end({ errorType: 'aborted' })).toBe(false);
    expect(call.isEnded).toBe(true);
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_in_flight')).toBe(1);
    expect(sampleSum(text, 'llm_requests_total', { provider: 'anthropic', status: 'ok' })).toBe(1);
    expect(sampleSum(text, 'llm_request_failures_total')).toBe(0);
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_sum')).toBeCloseTo(0.05, 9);
    other.end({ errorType: 'aborted' });
    const after = await registry.metrics();
    expect(sampleSum(after, 'llm_requests_in_flight')).toBe(0);
    expect(sampleSum(after, 'llm_request_failures_total', { error_type: 'aborted' })).toBe(1);
  });
});

describe('labels and cardinality', () => {
  it('keeps declared user labels, drops undeclared ones, leaves unset ones empty', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team', 'feature'] });
    meter.record(record({ labels: { team: 'ads', secret: 'sk-should-not-appear' } }));
    const text = await registry.metrics();
    const [sample] = findSamples(text, 'llm_requests_total');
    expect(sample?.labels).toEqual({ ...openaiChat, status: 'ok', team: 'ads', feature: '' });
    expect(text).not.toContain('sk-should-not-appear');
  });

  it('caps distinct models at 200 and user label values at 50 by default, the rest become "other"', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'] });
    for (let i = 0; i < 250; i++)
      meter.record(record({ model: `typo-model-${i}`, labels: { team: `team-${i % 60}` } }));
    const text = await registry.metrics();
    const models = new Set(findSamples(text, 'llm_requests_total').map((s) => s.labels.model));
    expect(models.size).toBe(201);
    expect(models.has('typo-model-199')).toBe(true);
    expect(models.has('typo-model-200')).toBe(false);
    expect(sampleSum(text, 'llm_requests_total', { model: 'other' })).toBe(50);
    const teams = new Set(findSamples(text, 'llm_requests_total').map((s) => s.labels.team));
    expect(teams.size).toBe(51);
    expect(teams.has('other')).toBe(true);
    expect(sampleSum(text, 'llm_requests_total')).toBe(250);
  });

  it('takes custom limits and cuts long values', async () => {
    const registry = new Registry();
    const meter = createMeter({
      registry,
      labelNames: ['team'],
      limits: { models: 2, labelValues: 1, valueLength: 5 },
    });
    meter.record(record({ model: 'a', labels: { team: 'abcdefgh' } }));
    meter.record(record({ model: 'b', labels: { team: 'abcdeXYZ' } }));
    meter.record(record({ model: 'c', labels: { team: 'zzz' } }));
    const text = await registry.metrics();
    expect(findSamples(text, 'llm_requests_total').map((s) => [s.labels.model, s.labels.team, s.value])).toEqual([
      ['a', 'abcde', 1],
      ['b', 'abcde', 1],
      ['other', 'other', 1],
    ]);
    expect(() => createMeter({ registry: new Registry(), limits: { models: 0 } })).toThrow(RangeError);
  });
});

describe('the series budget', () => {
  const labelSets = (text: string, name: string) =>
    findSamples(text, name).map((s) => [s.labels.provider, s.labels.model, s.labels.operation, s.labels.team]);

  it('folds label sets past the budget into one per provider and operation, and counts the folded calls', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'], limits: { series: 20 } });
    // 10 models × 5 teams = 50 combinations, each called twice: the first 20 have their own label sets, the
    // other 30 fold, 60 calls.
    for (let round = 0; round < 2; round++)
      for (let m = 0; m < 10; m++)
        for (let t = 0; t < 5; t++) meter.record(record({ model: `m${m}`, labels: { team: `t${t}` } }));
    // Past the budget, another provider or operation folds into a label set of its own.
    meter.record(record({ provider: 'anthropic', model: 'claude-haiku-4-5', labels: { team: 't0' } }));
    meter.record(record({ operation: 'embeddings', model: 'm0', labels: { team: 't0' } }));
    // An admitted label set still counts as itself.
    meter.record(record({ model: 'm0', labels: { team: 't0' } }));
    const text = await registry.metrics();

    const requests = labelSets(text, 'llm_requests_total');
    expect(requests).toHaveLength(20 + 3);
    expect(requests.slice(0, 20)).toEqual(
      Array.from({ length: 20 }, (_, i) => ['openai', `m${Math.floor(i / 5)}`, 'chat', `t${i % 5}`]),
    );
    expect(requests.slice(20)).toEqual([
      ['openai', 'other', 'chat', 'other'],
      ['anthropic', 'other', 'chat', 'other'],
      ['openai', 'other', 'embeddings', 'other'],
    ]);
    expect(
      findSamples(text, 'llm_series_overflow_total').map((s) => [s.labels.provider, s.labels.operation, s.value]),
    ).toEqual([
      ['openai', 'chat', 60],
      ['anthropic', 'chat', 1],
      ['openai', 'embeddings', 1],
    ]);
    expect(labelSets(text, 'llm_request_duration_seconds_count')).toEqual(requests);
    expect(labelSets(text, 'llm_requests_in_flight')).toEqual(requests);
    // Nothing is lost but the labels: every call, token and observation is counted.
    expect(sampleSum(text, 'llm_requests_total', { model: 'm0', team: 't0' })).toBe(3);
    expect(sampleSum(text, 'llm_requests_total', { model: 'other' })).toBe(62);
    expect(sampleSum(text, 'llm_requests_total')).toBe(103);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(103 * 1000);
    expect(sampleSum(text, 'llm_request_duration_seconds_count')).toBe(103);
  });

  it('folds a call started past the budget too, counted once when it ends', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, limits: { series: 1 } });
    meter.record(record());
    const call = meter.start({ provider: 'openai', model: 'gpt-4.1', operation: 'chat', stream: false });
    const overflow = { provider: 'openai', model: 'other', operation: 'chat' };
    let text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_in_flight', overflow)).toBe(1);
    expect(findSamples(text, 'llm_series_overflow_total')).toEqual([]);
    call.end({ usage: usage({ input: 7, output: 3 }) });
    call.end({ errorType: 'aborted' });
    text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_in_flight', overflow)).toBe(0);
    expect(sampleSum(text, 'llm_requests_total', overflow)).toBe(1);
    expect(sampleSum(text, 'llm_series_overflow_total', overflow)).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { ...overflow, type: 'input' })).toBe(7);
  });

  it('is 2000 label sets by default, and a positive integer shared by every meter of the metrics', async () => {
    expect(DEFAULT_CARDINALITY_LIMITS.series).toBe(2000);
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'] });
    // 200 models × 11 teams: 2,200 combinations, 200 over the budget.
    for (let m = 0; m < 200; m++)
      for (let t = 0; t < 11; t++) meter.record(record({ model: `m${m}`, labels: { team: `t${t}` } }));
    const text = await registry.metrics();
    expect(findSamples(text, 'llm_requests_total')).toHaveLength(2001);
    expect(sampleSum(text, 'llm_series_overflow_total')).toBe(200);
    expect(() => createMeter({ registry: new Registry(), limits: { series: 0 } })).toThrow(RangeError);
    expect(() => createMeter({ registry: new Registry(), limits: { series: 1.5 } })).toThrow(
      'llmeter: cardinality limit "series" must be a positive integer, got 1.5',
    );
    createMeter({ registry, limits: { series: 2000 } });
    expect(() => createMeter({ registry, limits: { series: 100 } })).toThrow(
      'asks for limits.series 100 instead of 2000',
    );
  });
});

describe('calls without usage', () => {
  it('counts a successful call of a known operation that has no usage, reported or estimated', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.record(record({ usage: undefined, usageSource: 'none' }));
    meter.record(
      record({ operation: 'embeddings', model: 'text-embedding-3-small', usage: undefined, usageSource: 'none' }),
    );
    meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'responses', stream: true }).end({});
    // Not counted: a failure, an operation that has no usage (a model list), estimated or reported usage.
    meter.record(record({ errorType: 'timeout', usage: undefined, usageSource: 'none' }));
    meter.record(record({ operation: 'other', model: '', usage: undefined, usageSource: 'none' }));
    meter.record(record({ usageSource: 'estimated', usage: usage({ input: 3, output: 2 }) }));
    meter.record(record());
    const text = await registry.metrics();
    expect(
      findSamples(text, 'llm_usage_missing_total').map((s) => [s.labels.model, s.labels.operation, s.value]),
    ).toEqual([
      ['gpt-4o', 'chat', 1],
      ['text-embedding-3-small', 'embeddings', 1],
      ['gpt-4o', 'responses', 1],
    ]);
    // Their tokens and cost are not guessed.
    expect(sampleSum(text, 'llm_tokens_total', { type: 'output' })).toBe(202);
    expect(sampleSum(text, 'llm_requests_total', { status: 'ok' })).toBe(6);
  });
});

describe('metricsVersion', () => {
  it('changes with every call started, recorded or ended and every reset, and not when the metrics are read', async () => {
    const registry = new Registry();
    expect(metricsVersion(registry)).toBeUndefined();
    const meter = createMeter({ registry });
    const versions = [metricsVersion(registry)];
    const call = meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false });
    versions.push(metricsVersion(registry));
    await registry.metrics();
    await registry.getMetricsAsJSON();
    expect(metricsVersion(registry)).toBe(versions.at(-1));
    call.end({});
    versions.push(metricsVersion(registry));
    call.end({});
    expect(metricsVersion(registry)).toBe(versions.at(-1));
    meter.record(record());
    versions.push(metricsVersion(registry));
    registry.resetMetrics();
    versions.push(metricsVersion(registry));
    registry.getSingleMetric('llm_request_duration_seconds')?.reset();
    versions.push(metricsVersion(registry));
    expect(new Set(versions).size).toBe(6);
    expect(versions.every((version) => typeof version === 'number')).toBe(true);
    // Another meter on the same metrics changes the same version; another prefix has its own.
    createMeter({ registry }).record(record());
    expect(metricsVersion(registry)).not.toBe(versions.at(-1));
    expect(metricsVersion(registry, 'other_')).toBeUndefined();
  });

  it('is undefined once the registry is cleared, and never repeats an earlier version after', async () => {
    const registry = new Registry();
    const seen = new Set<number | undefined>();
    createMeter({ registry }).record(record());
    seen.add(metricsVersion(registry));
    registry.clear();
    expect(metricsVersion(registry)).toBeUndefined();
    const again = createMeter({ registry });
    seen.add(metricsVersion(registry));
    again.record(record());
    seen.add(metricsVersion(registry));
    expect(seen.size).toBe(3);
  });
});

describe('one registry, many meters', () => {
  it('shares the metrics of a second meter on the same registry instead of throwing', async () => {
    const registry = new Registry();
    const first = createMeter({ registry, labelNames: ['team'] });
    const second = createMeter({ registry, labelNames: ['team'] });
    const third = createMeter({ registry });
    first.record(record());
    second.record(record());
    third.record(record());
    expect(sampleSum(await registry.metrics(), 'llm_requests_total')).toBe(3);
    expect(() => createMeter({ registry, labelNames: ['feature'] })).toThrow(MeterConfigError);
    expect(() => createMeter({ registry, labelNames: ['feature'] })).toThrow(
      'asks for label(s) feature not among labelNames [team]',
    );
  });

  it('refuses a second meter that asks for other buckets or limits, and says what differs', () => {
    const registry = new Registry();
    createMeter({ registry, buckets: { duration: [0.5, 1] }, limits: { models: 10 } });
    expect(() => createMeter({ registry, buckets: { duration: [1, 2] } })).toThrow(MeterConfigError);
    expect(() => createMeter({ registry, buckets: { duration: [1, 2] } })).toThrow(
      'llmeter: the llm_* metrics on this registry were created with another configuration, which a second meter ' +
        'shares; this one asks for buckets.duration [1, 2] instead of [0.5, 1]',
    );
    expect(() => createMeter({ registry, buckets: { timeToFirstToken: [1] } })).toThrow(
      'buckets.timeToFirstToken [1] instead of [0.001, 0.005, 0.01,',
    );
    expect(() => createMeter({ registry, limits: { models: 20 } })).toThrow('asks for limits.models 20 instead of 10');
    expect(() => createMeter({ registry, limits: { valueLength: 64 } })).toThrow(
      'asks for limits.valueLength 64 instead of 128',
    );
    // Every difference at once.
    expect(() =>
      createMeter({ registry, labelNames: ['team'], buckets: { timePerOutputToken: [1] }, limits: { labelValues: 5 } }),
    ).toThrow(
      /label\(s\) team .*; buckets\.timePerOutputToken \[1\] instead of .*; limits\.labelValues 5 instead of 50$/,
    );
    // The same values, or none, share the metrics.
    createMeter({ registry, buckets: { duration: [0.5, 1] }, limits: { models: 10, labelValues: 50 } });
    createMeter({ registry });
    // The same prefix on another registry, or another prefix on this one, is another set of metrics.
    createMeter({ registry: new Registry(), buckets: { duration: [1, 2] } });
    createMeter({ registry, prefix: 'other_', limits: { models: 20 } });
  });

  it('shares the first meter’s buckets and limits with one that leaves them unset', async () => {
    const registry = new Registry();
    createMeter({ registry, buckets: { duration: [0.5, 1] }, limits: { models: 1 } });
    const second = createMeter({ registry });
    second.record(record({ model: 'a' }));
    second.record(record({ model: 'b' }));
    const text = await registry.metrics();
    expect(findSamples(text, 'llm_request_duration_seconds_bucket', { model: 'a' }).map((s) => s.labels.le)).toEqual([
      '0.5',
      '1',
      '+Inf',
    ]);
    expect(sampleSum(text, 'llm_requests_total', { model: 'other' })).toBe(1);
  });

  it('registers anew on a registry that was cleared', async () => {
    const registry = new Registry();
    createMeter({ registry }).record(record());
    registry.clear();
    createMeter({ registry, labelNames: ['team'] }).record(record({ labels: { team: 'ads' } }));
    const [sample] = findSamples(await registry.metrics(), 'llm_requests_total');
    expect(sample).toEqual({
      name: 'llm_requests_total',
      labels: { ...openaiChat, status: 'ok', team: 'ads' },
      value: 1,
    });
  });

  it('sits beside the app’s own metrics and says so clearly on a name clash', async () => {
    const registry = new Registry();
    const { Counter } = await import('prom-client');
    new Counter({ name: 'app_logins_total', help: 'logins', registers: [registry] });
    createMeter({ registry }).record(record());
    const names = parseSamples(await registry.metrics()).map((s) => s.name);
    expect(names).toContain('app_logins_total');
    expect(names).toContain('llm_requests_total');
    const clash = new Registry();
    new Counter({ name: 'llm_requests_total', help: 'mine', registers: [clash] });
    expect(() => createMeter({ registry: clash })).toThrow(/another metric has the same name/);
  });
});

describe('registry.resetMetrics()', () => {
  const llmSamples = async (registry: Registry) =>
    parseSamples(await registry.metrics()).filter((sample) => sample.name.startsWith('llm_'));

  it('zeroes every counter and histogram, which then count from 0 together', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry, labelNames: ['team'], limits: { series: 5 } });
    meter.record(
      record({
        stream: true,
        firstTokenAt: 1100,
        labels: { team: 'ads' },
        usage: usage({
          input: 1000,
          output: 200,
          cachedInput: 400,
          cacheWrite: 10,
          reasoning: 50,
          serverToolCalls: { web_search: 1 },
          serviceTier: 'scale',
        }),
      }),
    );
    meter.record(record({ errorType: 'rate_limit', usage: undefined, usageSource: 'none' }));
    meter.record(record({ model: 'my-finetune', usageSource: 'estimated', usage: usage({ input: 5, output: 5 }) }));
    meter.record(record({ model: 'no-usage', usage: undefined, usageSource: 'none' }));
    // Four label sets so far; the budget is 5, so the second of these is folded.
    meter.record(record({ labels: { team: 'ads' }, model: 'gpt-4o-mini' }));
    meter.record(record({ labels: { team: 'ads' }, model: 'gpt-4.1' }));
    meter.refused('invalid_request_target');
    meter.upstreamConnectionError('openai');
    const before = await registry.metrics();
    for (const key of METRIC_KEYS.filter((key) => METRICS[key].type === 'counter')) {
      expect(sampleSum(before, metricName(key)), key).toBeGreaterThan(0);
    }

    registry.resetMetrics();
    // Counters and histograms lose their series, as prom-client's own metrics do on reset; the in-flight gauge
    // keeps one 0 per label set seen.
    const after = await llmSamples(registry);
    expect(after.filter((sample) => sample.name !== 'llm_requests_in_flight')).toEqual([]);
    expect(after.map((sample) => sample.value)).toEqual([0, 0, 0, 0, 0, 0]);

    meter.record(record({ labels: { team: 'ads' }, usage: usage({ input: 100, output: 20 }) }));
    meter.record(record({ errorType: 'timeout', usage: undefined, usageSource: 'none' }));
    const text = await registry.metrics();
    for (const status of ['ok', 'error']) {
      expect(sampleSum(text, 'llm_requests_total', { status })).toBe(1);
      expect(sampleSum(text, 'llm_request_duration_seconds_count', { status })).toBe(1);
    }
    expect(findSamples(text, 'llm_request_failures_total').map((s) => [s.labels.error_type, s.value])).toEqual([
      ['timeout', 1],
    ]);
    expect(findSamples(text, 'llm_tokens_total').map((s) => [s.labels.type, s.value])).toEqual([
      ['input', 100],
      ['output', 20],
    ]);
    expect(sampleSum(text, 'llm_cost_usd_total')).toBeCloseTo((100 * 2.5 + 20 * 10) / 1e6, 12);
    expect(sampleSum(text, 'llm_unpriced_requests_total')).toBe(0);
    expect(sampleSum(text, 'llm_usage_estimated_total')).toBe(0);
    expect(sampleSum(text, 'llm_usage_missing_total')).toBe(0);
    expect(sampleSum(text, 'llm_series_overflow_total')).toBe(0);
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_count')).toBe(0);
    expect(sampleSum(text, 'llm_time_per_output_token_seconds_count')).toBe(0);
  });

  it('leaves calls in flight counted; they end to 0, never below, and count once', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    const call = meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: true });
    const other = meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false });
    registry.resetMetrics();
    expect(sampleSum(await registry.metrics(), 'llm_requests_in_flight')).toBe(2);
    call.markFirstToken(call.startedAt + 100);
    call.end({ usage: usage({ input: 10, output: 5 }), endedAt: call.startedAt + 500 });
    other.end({ errorType: 'aborted' });
    registry.resetMetrics();
    expect(findSamples(await registry.metrics(), 'llm_requests_in_flight').map((s) => s.value)).toEqual([0]);
    const again = meter.start({ provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false });
    again.end({ endedAt: again.startedAt + 250 });
    const text = await registry.metrics();
    expect(sampleSum(text, 'llm_requests_in_flight')).toBe(0);
    expect(sampleSum(text, 'llm_requests_total')).toBe(1);
    expect(sampleSum(text, 'llm_request_duration_seconds_count')).toBe(1);
    expect(sampleSum(text, 'llm_request_duration_seconds_sum')).toBeCloseTo(0.25, 9);
  });

  it('resets one counter alone when only that metric is reset', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.record(record());
    registry.getSingleMetric('llm_requests_total')?.reset();
    const text = await registry.metrics();
    expect(findSamples(text, 'llm_requests_total')).toEqual([]);
    expect(sampleSum(text, 'llm_request_duration_seconds_count')).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(1000);
  });
});

describe('measurement failures', () => {
  it('never throw into the caller; they go to onError', () => {
    const registry = new Registry();
    const onError = vi.fn();
    const prices = new PriceBook();
    vi.spyOn(prices, 'cost').mockImplementation(() => {
      throw new Error('price data broken');
    });
    const meter = createMeter({ registry, prices, onError });
    expect(() => meter.record(record())).not.toThrow();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(String(onError.mock.calls[0]?.[0])).toContain('price data broken');
    const throwingHook = createMeter({
      registry: new Registry(),
      prices,
      onError: () => {
        throw new Error('hook broken');
      },
    });
    expect(() => throwingHook.record(record())).not.toThrow();
  });
});

describe('charges beyond tokens', () => {
  it('counts server tool calls by tool, and an advisor sub-call’s tokens and cost with the call', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    const advisor = usage({ input: 2000, output: 20 });
    meter.record(
      record({
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        usage: usage({
          input: 1000,
          output: 100,
          serverToolCalls: { web_search: 2, web_fetch: 1 },
          subCalls: [{ model: 'claude-opus-4-1', usage: advisor }],
        }),
      }),
    );
    const text = await registry.metrics();
    const byTool = Object.fromEntries(
      findSamples(text, 'llm_server_tool_calls_total').map((sample) => [sample.labels.tool, sample.value]),
    );
    expect(byTool).toEqual({ web_search: 2, web_fetch: 1 });
    expect(sampleSum(text, 'llm_tokens_total', { type: 'input' })).toBe(3000);
    expect(sampleSum(text, 'llm_tokens_total', { type: 'output' })).toBe(120);
    // Sonnet 4.5 ($3 / $15) for the call and its 2 web searches ($10 per thousand), Opus 4.1 ($15 / $75) for the
    // advisor's tokens.
    const expected = (1000 * 3 + 100 * 15) / 1e6 + (2 * 10) / 1e3 + (2000 * 15 + 20 * 75) / 1e6;
    expect(sampleSum(text, 'llm_cost_usd_total')).toBeCloseTo(expected, 12);
  });
});

describe('rate-limit gauges', () => {
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '2s',
  };
  const lookup = (values: Record<string, string>) => (name: string) => values[name];
  const labels = { provider: 'openai', model: 'gpt-4o', resource: 'requests' };

  it('show the latest values reported, and forget what a reset cleared until a response reports it again', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    const before = metricsVersion(registry);
    meter.observeRateLimits('openai', 'gpt-4o', lookup(headers));
    expect(metricsVersion(registry)).not.toBe(before);
    meter.observeRateLimits('openai', 'gpt-4o', lookup({ 'x-ratelimit-remaining-requests': '498' }));
    let text = await registry.metrics();
    expect(sampleSum(text, 'llm_ratelimit_limit', labels)).toBe(500);
    expect(sampleSum(text, 'llm_ratelimit_remaining', labels)).toBe(498);
    expect(sampleSum(text, 'llm_ratelimit_reset_seconds', labels)).toBe(2);

    // One gauge reset: only its values go.
    registry.getSingleMetric('llm_ratelimit_remaining')?.reset();
    text = await registry.metrics();
    expect(findSamples(text, 'llm_ratelimit_remaining')).toEqual([]);
    expect(sampleSum(text, 'llm_ratelimit_limit', labels)).toBe(500);

    registry.resetMetrics();
    expect(findSamples(await registry.metrics(), 'llm_ratelimit_limit')).toEqual([]);
    meter.observeRateLimits('openai', 'gpt-4o', lookup(headers));
    text = await registry.metrics();
    expect(sampleSum(text, 'llm_ratelimit_remaining', labels)).toBe(499);
    expect((await registry.getMetricsAsJSON()).find((m) => m.name === 'llm_ratelimit_limit')?.values).toEqual([
      { labels, value: 500 },
    ]);
  });
});

// The proxy calls these on every request; a failure to count must reach `onError`, never the request.
describe('Meter: the proxy’s own counts fail open', () => {
  it('reports a failing refused, connection error or overhead count to onError, and throws nothing', () => {
    const registry = new Registry();
    const errors: unknown[] = [];
    const meter = createMeter({ registry, onError: (error) => errors.push(error) });
    for (const name of ['proxy_refused_total', 'proxy_upstream_connection_errors_total', 'proxy_overhead_seconds']) {
      const metric = registry.getSingleMetric(`llm_${name}`) as unknown as Record<string, unknown>;
      for (const method of ['inc', 'observe']) {
        metric[method] = () => {
          throw new Error(`${name} broke`);
        };
      }
    }
    expect(() => meter.refused('request_too_large')).not.toThrow();
    expect(() => meter.upstreamConnectionError('openai')).not.toThrow();
    expect(() => meter.observeProxyOverhead('openai', 0.001)).not.toThrow();
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'proxy_refused_total broke',
      'proxy_upstream_connection_errors_total broke',
      'proxy_overhead_seconds broke',
    ]);
  });
});

describe('Meter: the proxy overhead histogram', () => {
  it('counts every observation per provider exactly, also after a reset of the registry', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    for (const seconds of [0.0003, 0.002, 0.002]) meter.observeProxyOverhead('openai', seconds);
    meter.observeProxyOverhead('anthropic', 0.07);
    const read = async () => {
      const text = await registry.metrics();
      const of = (provider: string) => ({
        count: sampleSum(text, 'llm_proxy_overhead_seconds_count', { provider }),
        sum: sampleSum(text, 'llm_proxy_overhead_seconds_sum', { provider }),
        under1ms: sampleSum(text, 'llm_proxy_overhead_seconds_bucket', { provider, le: '0.001' }),
        under5ms: sampleSum(text, 'llm_proxy_overhead_seconds_bucket', { provider, le: '0.005' }),
      });
      return { openai: of('openai'), anthropic: of('anthropic') };
    };
    expect(await read()).toEqual({
      openai: { count: 3, sum: 0.0043, under1ms: 1, under5ms: 3 },
      anthropic: { count: 1, sum: 0.07, under1ms: 0, under5ms: 0 },
    });
    registry.resetMetrics();
    meter.observeProxyOverhead('openai', 0.0003);
    meter.observeProxyOverhead('openai', 0.0003);
    expect((await read()).openai).toEqual({ count: 2, sum: 0.0006, under1ms: 2, under5ms: 2 });
  });
});
