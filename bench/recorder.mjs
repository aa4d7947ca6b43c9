// The recorder's cost per call, side by side with the obvious hand-written prom-client recording of the same
// metrics (a labels object per call, every counter incremented at once); then the recorder's cost per call as
// the number of label sets the calls spread over grows (10 to the default series budget, 2,000), and the cost
// of taking a response's rate-limit headers. Run after `npm run build`:
//   npm run bench:recorder
// LLMETER_BENCH_BEFORE=<module exporting another build's createMeter> (e.g. a checkout's packages/core/dist/index.js)
// adds that build's cost per call by label sets beside this one's, in the same interleaved rounds.

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

// Per call as the label sets grow: each round spreads its calls over `count` label sets (200 models × teams),
// every one of them already seen, streamed with time to first token, as a busy proxy records them. The cost per
// call must not rise with the label sets: the ratios to 10 label sets are the figure that matters.
const SERIES_COUNTS = [10, 200, 2000];
const builds = { this: createMeter };
if (process.env.LLMETER_BENCH_BEFORE) builds.before = (await import(process.env.LLMETER_BENCH_BEFORE)).createMeter;
const bySeries = Object.entries(builds).flatMap(([build, create]) =>
  SERIES_COUNTS.map((count) => bySeriesContender(build, create, count)),
);

function bySeriesContender(build, create, count) {
  const meter = create({ registry: new Registry(), labelNames: ['team'] });
  const starts = Array.from({ length: count }, (_, index) => ({
    provider: 'openai',
    model: `model-${index % 200}`,
    operation: 'chat',
    stream: true,
    labels: { team: `team-${Math.floor(index / 200)}` },
  }));
  let next = 0;
  const run = () => {
    const call = meter.start(starts[next]);
    next = next + 1 === count ? 0 : next + 1;
    call.markFirstToken();
    call.end({ usage, responseModel: 'gpt-4o-2024-08-06' });
  };
  for (const one of starts) meter.start(one).end({ usage });
  return { build, count, run, samples: [] };
}
for (const one of bySeries) microsPerCall(one.run); // warm-up
for (let round = 0; round < ROUNDS; round++) for (const one of bySeries) one.samples.push(microsPerCall(one.run));
console.log(
  `recording one streamed call, by label sets the calls spread over (median of ${ROUNDS} interleaved rounds; ` +
    'ratio to the same build at 10 label sets)',
);
for (const build of Object.keys(builds)) {
  const rows = bySeries.filter((one) => one.build === build).map((one) => ({ ...one, median: median(one.samples) }));
  const flat = rows[0].median;
  const cells = rows.map(
    (one) => `${String(one.count).padStart(5)}: ${one.median.toFixed(2)} µs ${(one.median / flat).toFixed(2)}x`,
  );
  console.log(`  ${build.padEnd(7)} ${cells.join('   ')}`);
}

// A response's rate-limit headers, as OpenAI and Anthropic send them (read through a lookup, as the proxy does).
const rateLimitHeaders = {
  openai: {
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-remaining-tokens': '29999985',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-reset-tokens': '0s',
  },
  anthropic: Object.fromEntries(
    ['requests', 'tokens', 'input-tokens', 'output-tokens'].flatMap((resource, index) => [
      [`anthropic-ratelimit-${resource}-limit`, String(4000 * (index + 1))],
      [`anthropic-ratelimit-${resource}-remaining`, String(3999 * (index + 1))],
      [`anthropic-ratelimit-${resource}-reset`, '2026-11-30T06:00:01Z'],
    ]),
  ),
};
const rateLimitMeter = createMeter({ registry: new Registry() });
console.log(`taking one response's rate-limit headers (median of ${ROUNDS} rounds of ${CALLS})`);
for (const [provider, headers] of Object.entries(rateLimitHeaders)) {
  // Remaining counts move with every response, as they do.
  let remaining = 0;
  const lookup = (name) => (name.includes('remaining') ? String(remaining) : headers[name]);
  const run = () => {
    remaining++;
    rateLimitMeter.observeRateLimits(provider, 'model', lookup);
  };
  microsPerCall(run);
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(microsPerCall(run));
  console.log(`  ${provider.padEnd(10)} ${median(samples).toFixed(2)} µs/response`);
}
