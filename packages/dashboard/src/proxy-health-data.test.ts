import { createMeter } from '@llmeter/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readProxyHealth } from './proxy-health-data.js';

describe('readProxyHealth', () => {
  it('reads refusals by reason, upstream connection errors and the overhead p99 over every provider', async () => {
    const registry = new Registry();
    const meter = createMeter({ registry });
    meter.refused('request_too_large');
    meter.refused('host_not_allowed');
    meter.refused('request_too_large');
    meter.upstreamConnectionError('openai');
    meter.upstreamConnectionError('anthropic');
    meter.upstreamConnectionError('openai');
    // 99 calls at 0.2 ms, in (0.1, 0.25] ms, and one at 30 ms, in (25, 50] ms: rank 99 of 100 is the last call
    // of the first bucket, its upper bound.
    for (let i = 0; i < 99; i++) meter.observeProxyOverhead(i % 2 === 0 ? 'openai' : 'anthropic', 0.0002);
    meter.observeProxyOverhead('openai', 0.03);

    expect(await readProxyHealth(registry)).toEqual({
      refused: [
        { reason: 'request_too_large', count: 2 },
        { reason: 'host_not_allowed', count: 1 },
      ],
      upstreamConnectionErrors: 3,
      overheadCalls: 100,
      overheadP99Seconds: 0.00025,
    });
  });

  it('is undefined for a meter that no proxy fills (an SDK app) or a registry without llmeter', async () => {
    const registry = new Registry();
    createMeter({ registry });
    expect(await readProxyHealth(registry)).toBeUndefined();
    expect(await readProxyHealth(new Registry())).toBeUndefined();
  });
});
