// The OpenAI clients the SDK benchmark compares, all the same `openai` class over the same in-process transport:
// unwrapped (the floor), a minimal hand-written prom-client wrapper, OpenTelemetry's
// `@opentelemetry/instrumentation-openai` (a peer), and llmeter's `instrument()`.
//
// LLMETER_BENCH_BEFORE: a module exporting another build's `instrument` (the `@llmeter/sdk` of a checkout built
// elsewhere), measured as one more contender, `llmeter instrument() (before)`, for before/after runs.
//
// A contender is `{ name, floor?, client, around(round), measured() }`: `around` runs one round with the client
// (OpenTelemetry patches the class for its rounds only); `measured` reads back how many calls it measured, since
// a contender that measured nothing is no comparison.
import { instrument } from '@llmeter/sdk';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { Counter, Histogram, Registry } from 'prom-client';
import { fakeOpenAIFetch } from './fake-openai-fetch.mjs';

const plainly = (round) => round();
const before = process.env.LLMETER_BENCH_BEFORE ? await import(process.env.LLMETER_BENCH_BEFORE) : undefined;

function newClient(words, transport) {
  return new OpenAI({
    apiKey: 'sk-bench',
    baseURL: 'https://api.openai.com/v1',
    maxRetries: 0,
    fetch: fakeOpenAIFetch(words, transport),
  });
}

/** What a team writes by hand: a histogram of durations and a counter of tokens, per model. */
function handWrapped(client) {
  const registry = new Registry();
  const duration = new Histogram({ name: 'llm_seconds', help: 'h', labelNames: ['model'], registers: [registry] });
  const tokens = new Counter({ name: 'llm_tokens', help: 'h', labelNames: ['model', 'type'], registers: [registry] });
  let calls = 0;
  const record = (model, started, usage) => {
    calls++;
    duration.observe({ model }, (performance.now() - started) / 1000);
    if (usage) {
      tokens.inc({ model, type: 'input' }, usage.prompt_tokens);
      tokens.inc({ model, type: 'output' }, usage.completion_tokens);
    }
  };
  const completions = client.chat.completions;
  const create = completions.create.bind(completions);
  completions.create = async (params) => {
    const started = performance.now();
    const result = await create(params);
    if (!params.stream) {
      record(params.model, started, result.usage);
      return result;
    }
    return {
      async *[Symbol.asyncIterator]() {
        let usage;
        for await (const chunk of result) {
          if (chunk.usage) usage = chunk.usage;
          yield chunk;
        }
        record(params.model, started, usage);
      },
    };
  };
  return { client, calls: () => calls };
}

/** OpenTelemetry with real SDK providers: spans are made and ended (then dropped), metrics aggregated. */
function openTelemetry(client) {
  let spans = 0;
  const counting = {
    onStart: () => {},
    onEnd: () => {
      spans++;
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  class Reader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    async onForceFlush() {}
    async onShutdown() {}
  }
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(new BasicTracerProvider({ spanProcessors: [counting] }));
  instrumentation.setMeterProvider(new MeterProvider({ readers: [new Reader()] }));
  // Enabled (its patched methods check), but its `require`/`import` hooks never see openai, loaded as ESM already
  // (and outside the `<7` range it declares): it is applied to the loaded class here instead, and only for this
  // contender's rounds, since it patches the class every other contender shares.
  instrumentation.enable();
  const [definition] = instrumentation.getModuleDefinitions();
  if (!definition?.patch || !definition.unpatch)
    throw new Error('@opentelemetry/instrumentation-openai patches nothing');
  const exports = { OpenAI: client.constructor };
  return {
    async around(round) {
      definition.patch(exports);
      try {
        return await round();
      } finally {
        definition.unpatch(exports);
      }
    },
    measured: async () => spans,
  };
}

/** How many calls an llmeter registry recorded as ok. */
function okCalls(registry) {
  return async () =>
    Number(/llm_requests_total\{[^}]*status="ok"[^}]*\} (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
}

/**
 * The four contenders (five with LLMETER_BENCH_BEFORE), the floor first; their streams carry `words` as content
 * chunks, and with `transport.replyHeaders` every reply carries OpenAI's headers, rate limits included.
 */
export function sdkContenders(words, transport = {}) {
  const registry = new Registry();
  const hand = handWrapped(newClient(words, transport));
  const otelClient = newClient(words, transport);
  const contenders = [
    {
      name: 'unwrapped openai',
      floor: true,
      client: newClient(words, transport),
      around: plainly,
      measured: async () => NaN,
    },
    { name: 'hand-written prom-client', client: hand.client, around: plainly, measured: async () => hand.calls() },
    { name: 'OpenTelemetry instrumentation', client: otelClient, ...openTelemetry(otelClient) },
    {
      name: 'llmeter instrument()',
      client: instrument(newClient(words, transport), { registry }),
      around: plainly,
      measured: okCalls(registry),
    },
  ];
  if (before !== undefined) {
    const beforeRegistry = new Registry();
    contenders.push({
      name: 'llmeter instrument() (before)',
      client: before.instrument(newClient(words, transport), { registry: beforeRegistry }),
      around: plainly,
      measured: okCalls(beforeRegistry),
    });
  }
  return contenders;
}
