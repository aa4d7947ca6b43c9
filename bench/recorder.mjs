// The recorder's cost per call, side by side with the obvious hand-written prom-client recording of the same
// metrics (a labels object per call, every counter incremented at once). Run after `npm run build`:
//   npm run bench:recorder

import { createMeter, DEFAULT_BUCKETS } from '@llmeter/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const CALLS = 50_000;
const ROUNDS = 9;
const usage = { input: 1000, output: 200, cachedInput: 400, cacheWrite: 0, reasoning: 50 };
const start = { provider: 'openai', model: 'gpt-4o', operation: 'chat', stream: false, labels: { team: 'search' } };

function llmeter() {
  const meter = createMeter({ registry: new Registry(), labelNames: ['team'] });
  return () => meter.start(start).end({ usage, responseModel: 'gpt-4o-2024-08-06' });
}

function handWritten() {
  const registry = new Registry();
  const labelNames = ['provider', 'model', 'operation', 'team'];
  const requests = new Counter({
    name: 'r_total',
    help: 'h',
    labelNames: [...labelNames, 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'd_seconds',
    help: 'h',
    labelNames: [...labelNames, 'status'],
    buckets: [...DEFAULT_BUCKETS.duration],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 't_total',
    help: 'h',
    labelNames: [...labelNames, 'type'],
    registers: [registry],
  });
  const cost = new Counter({ name: 'c_total', help: 'h', labelNames, registers: [registry] });
  const inFlight = new Gauge({ name: 'f', help: 'h', labelNames, registers: [registry] });
  return () => {
    const labels = { provider: 'openai', model: 'gpt-4o', operation: 'chat', team: 'search' };
    const began = performance.now();
    inFlight.inc(labels);
    inFlight.dec(labels);
    requests.inc({ ...labels, status: 'ok' });
    duration.observe({ ...labels, status: 'ok' }, (performance.now() - began) / 1000);
    tokens.inc({ ...labels, type: 'input' }, usage.input);
    tokens.inc({ ...labels, type: 'output' }, usage.output);
    tokens.inc({ ...labels, type: 'cached_input' }, usage.cachedInput);
    tokens.inc({ ...labels, type: 'reasoning' }, usage.reasoning);
    cost.inc(labels, (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6);
  };
}

function microsPerCall(run) {
  const began = performance.now();
  for (let i = 0; i < CALLS; i++) run();
  return ((performance.now() - began) * 1000) / CALLS;
}

const contenders = { llmeter: llmeter(), 'hand-written prom-client': handWritten() };
const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (const run of Object.values(contenders)) microsPerCall(run); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, so that both see the same machine noise.
  for (const [name, run] of Object.entries(contenders)) samples[name].push(microsPerCall(run));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(samples['hand-written prom-client']);
console.log(`recording one non-streaming call, median of ${ROUNDS} rounds of ${CALLS} calls (Node ${process.version})`);
for (const [name, values] of Object.entries(samples)) {
  const m = median(values);
  console.log(`  ${name.padEnd(26)} ${m.toFixed(2)} µs/call   ${(m / base).toFixed(2)}x`);
}
