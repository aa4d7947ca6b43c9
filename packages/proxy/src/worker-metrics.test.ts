import { EventEmitter } from 'node:events';
import { createMeter } from '@llmeter/core';
import { AggregatorRegistry, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { isMessage } from './cluster-messages.js';
import { ClusterMetricsError, joinProxyCluster, type PrimaryChannel } from './worker-metrics.js';

/** A worker's IPC channel whose far end is a primary summing `registries` (as cluster-primary.ts does). */
function primaryOver(registries: Registry[], answer = true): PrimaryChannel & { asked: number } {
  const events = new EventEmitter();
  const channel = {
    asked: 0,
    send(message: unknown) {
      if (!isMessage(message, 'llmeter:aggregate-request') || !answer) return;
      channel.asked++;
      void Promise.all(registries.map((registry) => registry.getMetricsAsJSON())).then(async (all) => {
        const metrics = await AggregatorRegistry.aggregate(all).getMetricsAsJSON();
        events.emit('message', { type: 'llmeter:aggregate-response', id: message.id, metrics });
      });
    },
    on: (event: 'message', listener: (message: unknown) => void) => events.on(event, listener),
    off: (event: 'message', listener: (message: unknown) => void) => events.off(event, listener),
  };
  return channel;
}

function workerRegistry(calls: number, inFlight: number): Registry {
  const registry = new Registry();
  const meter = createMeter({ registry });
  const call = { provider: 'openai', model: 'gpt-4o-mini', operation: 'chat', stream: false } as const;
  for (let i = 0; i < calls; i++)
    meter.start(call).end({ usage: { input: 10, output: 5, cachedInput: 0, cacheWrite: 0, reasoning: 0 } });
  for (let i = 0; i < inFlight; i++) meter.start(call);
  return registry;
}

describe('joinProxyCluster', () => {
  test("a worker's /metrics text is the sum over every worker, in-flight gauges included", async () => {
    const [a, b] = [workerRegistry(3, 1), workerRegistry(4, 2)];
    const view = joinProxyCluster(a, primaryOver([a, b]));
    const text = (await view.render()) ?? '';
    expect(text).toContain('llm_requests_total{provider="openai",model="gpt-4o-mini",operation="chat",status="ok"} 7');
    expect(text).toContain('llm_requests_in_flight{provider="openai",model="gpt-4o-mini",operation="chat"} 3');
    expect(text).toContain('llm_request_duration_seconds_count{provider="openai",model="gpt-4o-mini"');
    view.close();
  });

  test('the dashboard registry reads the sum; metrics read together share one request', async () => {
    const [a, b] = [workerRegistry(2, 0), workerRegistry(5, 0)];
    const primary = primaryOver([a, b]);
    const view = joinProxyCluster(a, primary);
    const [requests, tokens] = await Promise.all([
      view.registry.getSingleMetric('llm_requests_total')?.get(),
      view.registry.getSingleMetric('llm_tokens_total')?.get(),
    ]);
    expect(requests?.values.map((sample) => sample.value)).toEqual([7]);
    expect(tokens?.values.reduce((sum, sample) => sum + sample.value, 0)).toBe(7 * 15);
    expect(primary.asked).toBe(1);
    view.close();
  });

  test('a scrape whose client is gone is not rendered; close fails what waits', async () => {
    const view = joinProxyCluster(new Registry(), primaryOver([], false));
    expect(await view.render(AbortSignal.abort())).toBeUndefined();
    const pending = view.render();
    view.close();
    await expect(pending).rejects.toBeInstanceOf(ClusterMetricsError);
  });
});
