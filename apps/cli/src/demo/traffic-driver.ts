import type Anthropic from '@anthropic-ai/sdk';
import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { GoogleGenAI } from '@google/genai';
import { SeededRandom } from '@llmeter/simulator';
import { generateText, type LanguageModel, streamText } from 'ai';
import type OpenAI from 'openai';

/**
 * One way into llmeter: a set of real clients (the instrumented SDK and AI SDK models wrapped in
 * `llmeterMiddleware`, or plain clients and models pointed at the proxy).
 */
export interface TrafficWay {
  name: string;
  openai: OpenAI;
  anthropic: Anthropic;
  gemini: GoogleGenAI;
  /** Vercel AI SDK language models, one per provider. */
  aiSdk: { openai: LanguageModel; anthropic: LanguageModel };
  /**
   * A Bedrock Runtime client, on the ways in that have one: the SDK's only, since the proxy does not forward
   * Bedrock (SigV4 signs the host). Bedrock calls go through a way that has one.
   */
  bedrock?: BedrockRuntimeClient | undefined;
}

/** How a {@link TrafficDriver} sends traffic. */
export interface TrafficDriverOptions {
  /** Calls started per second, spread over time. */
  rps: number;
  /** The ways in; each call picks one at random. */
  ways: readonly TrafficWay[];
  /** Most calls under way at once; a call due while at the limit is skipped, not queued. Default 64. */
  maxConcurrency?: number;
  /** Seed of the call mix; the same seed gives the same sequence of calls. */
  seed: number;
}

/** Counts of what a driver did. */
export interface TrafficCounts {
  started: number;
  succeeded: number;
  /** Calls that threw: the simulated faults (429, 5xx, hangs, cut streams) and calls aborted at the end. */
  failed: number;
  /** Calls due while `maxConcurrency` calls were under way. */
  skipped: number;
  /** Calls that succeeded, by the client library they went through (`openai`, `anthropic`, `gemini`, `ai-sdk`, `bedrock`). */
  succeededBy: Record<DemoClient, number>;
}

type Scenario = (way: TrafficWay, signal: AbortSignal, random: SeededRandom) => Promise<void>;

/** The client library a demo call goes through. */
export type DemoClient = 'openai' | 'anthropic' | 'gemini' | 'ai-sdk' | 'bedrock';

const SHORT_PROMPTS: readonly [string, ...string[]] = [
  'Summarize the last deployment in two sentences.',
  'What is the capital of Australia, and why is it not Sydney?',
  'Write a haiku about latency percentiles.',
  'Explain prompt caching to a new engineer.',
  'List three ways to make a slow API call faster.',
  'Translate "the invoice is overdue" into French and German.',
];

// Over 1024 tokens (the simulator counts about four characters a token), the size at which providers start
// caching prompts; the realistic simulator then reports cached and cache-written tokens on some calls.
const LONG_CONTEXT = `You are the support assistant of an online store. Policies follow.\n${Array.from(
  { length: 60 },
  (_, i) => `Policy ${i + 1}: orders can be returned within 30 days when unused and in their original packaging.`,
).join('\n')}`;

const OPENAI_CHAT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'] as const;
// Not claude-sonnet-4-5: the Anthropic SDK prints a deprecation warning on stderr for every call naming it, which
// would scroll the live summary away.
const ANTHROPIC_MODELS = ['claude-haiku-4-5', 'claude-sonnet-4-6'] as const;
const GEMINI_MODELS = ['gemini-2.5-flash', 'gemini-2.5-flash-lite'] as const;
// Bedrock model ids: Amazon's own Nova, and Claude through a cross-region inference profile.
const BEDROCK_MODELS = ['amazon.nova-lite-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'] as const;
/** The models the AI SDK ways in are built on (an AI SDK model names its model when it is created). */
export const AI_SDK_MODELS = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5' } as const;
// The AI SDK has no client-wide timeout: each call gets one, a little after the proxy's, as the other clients do.
const AI_SDK_TIMEOUT_MS = 12_000;

/** Every model the demo's traffic names. */
export const DEMO_MODELS: readonly string[] = [
  ...OPENAI_CHAT_MODELS,
  'o4-mini',
  'text-embedding-3-small',
  ...ANTHROPIC_MODELS,
  ...GEMINI_MODELS,
  ...BEDROCK_MODELS,
];

/** A Bedrock Converse request: the model id and a short prompt. */
function converseInput(random: SeededRandom): ConverseCommandInput {
  return {
    modelId: random.pick(BEDROCK_MODELS),
    messages: [{ role: 'user', content: [{ text: random.pick(SHORT_PROMPTS) }] }],
    inferenceConfig: { maxTokens: 200 },
  };
}

/** The way's Bedrock client; the driver sends Bedrock calls only through ways that have one. */
function bedrockOf(way: TrafficWay): BedrockRuntimeClient {
  if (way.bedrock === undefined) throw new Error(`the ${way.name} way in has no Bedrock client`);
  return way.bedrock;
}

// The mix: weights roughly as an app that chats, streams, embeds and uses both providers would have.
/** An OpenAI chat stream, read to its end, that asks for usage itself or leaves it to llmeter. */
function openAiChatStream(asksForUsage: boolean): Scenario {
  return async (way, signal, random) => {
    const stream = await way.openai.chat.completions.create(
      {
        model: random.pick(OPENAI_CHAT_MODELS),
        messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
        max_completion_tokens: 200,
        stream: true,
        ...(asksForUsage ? { stream_options: { include_usage: true } } : {}),
      },
      { signal },
    );
    for await (const _ of stream);
  };
}

const SCENARIOS: readonly (readonly [weight: number, client: DemoClient, Scenario])[] = [
  // OpenAI chat, JSON.
  [
    3,
    'openai',
    async (way, signal, random) => {
      await way.openai.chat.completions.create(
        {
          model: random.pick(OPENAI_CHAT_MODELS),
          messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
          max_completion_tokens: 200,
        },
        { signal },
      );
    },
  ],
  // OpenAI chat stream that asks for usage.
  [2, 'openai', openAiChatStream(true)],
  // OpenAI chat stream that does not: the SDK and the proxy still get exact usage (they ask for it themselves).
  [1, 'openai', openAiChatStream(false)],
  // A reasoning model: slow first token, reasoning tokens.
  [
    1,
    'openai',
    async (way, signal, random) => {
      await way.openai.chat.completions.create(
        {
          model: 'o4-mini',
          messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
          max_completion_tokens: 400,
        },
        { signal },
      );
    },
  ],
  // A long prompt: OpenAI reports part of it as cached.
  [
    1,
    'openai',
    async (way, signal, random) => {
      await way.openai.chat.completions.create(
        {
          model: random.pick(OPENAI_CHAT_MODELS),
          messages: [
            { role: 'system', content: LONG_CONTEXT },
            { role: 'user', content: random.pick(SHORT_PROMPTS) },
          ],
          max_completion_tokens: 150,
        },
        { signal },
      );
    },
  ],
  // Responses API, JSON and streamed.
  [
    1,
    'openai',
    async (way, signal, random) => {
      await way.openai.responses.create(
        { model: 'gpt-4.1-mini', input: random.pick(SHORT_PROMPTS), max_output_tokens: 200 },
        { signal },
      );
    },
  ],
  [
    1,
    'openai',
    async (way, signal, random) => {
      const stream = await way.openai.responses.create(
        { model: 'gpt-4o-mini', input: random.pick(SHORT_PROMPTS), max_output_tokens: 200, stream: true },
        { signal },
      );
      for await (const _ of stream);
    },
  ],
  // Embeddings: many calls, few tokens, no output.
  [
    2,
    'openai',
    async (way, signal, random) => {
      await way.openai.embeddings.create(
        { model: 'text-embedding-3-small', input: [random.pick(SHORT_PROMPTS), random.pick(SHORT_PROMPTS)] },
        { signal },
      );
    },
  ],
  // Anthropic messages, JSON.
  [
    2,
    'anthropic',
    async (way, signal, random) => {
      await way.anthropic.messages.create(
        {
          model: random.pick(ANTHROPIC_MODELS),
          max_tokens: 300,
          messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
        },
        { signal },
      );
    },
  ],
  // Anthropic messages, streamed event by event.
  [
    2,
    'anthropic',
    async (way, signal, random) => {
      const stream = await way.anthropic.messages.create(
        {
          model: random.pick(ANTHROPIC_MODELS),
          max_tokens: 300,
          messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
          stream: true,
        },
        { signal },
      );
      for await (const _ of stream);
    },
  ],
  // Anthropic with a cached system prompt, through the SDK's stream helper.
  [
    2,
    'anthropic',
    async (way, signal, random) => {
      const stream = way.anthropic.messages.stream(
        {
          model: random.pick(ANTHROPIC_MODELS),
          max_tokens: 200,
          system: [{ type: 'text', text: LONG_CONTEXT, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: random.pick(SHORT_PROMPTS) }],
        },
        { signal },
      );
      await stream.finalMessage();
    },
  ],
  // Gemini through @google/genai, JSON.
  [
    2,
    'gemini',
    async (way, signal, random) => {
      await way.gemini.models.generateContent({
        model: random.pick(GEMINI_MODELS),
        contents: random.pick(SHORT_PROMPTS),
        config: { maxOutputTokens: 200, abortSignal: signal },
      });
    },
  ],
  // Gemini streamed (SSE), read to its end.
  [
    2,
    'gemini',
    async (way, signal, random) => {
      const stream = await way.gemini.models.generateContentStream({
        model: random.pick(GEMINI_MODELS),
        contents: random.pick(SHORT_PROMPTS),
        config: { maxOutputTokens: 200, abortSignal: signal },
      });
      for await (const _ of stream);
    },
  ],
  // AWS Bedrock through @aws-sdk/client-bedrock-runtime: Converse (JSON).
  [
    2,
    'bedrock',
    async (way, signal, random) => {
      await bedrockOf(way).send(new ConverseCommand(converseInput(random)), { abortSignal: signal });
    },
  ],
  // Bedrock ConverseStream: an AWS event stream, read to its end (usage in its `metadata` event).
  [
    2,
    'bedrock',
    async (way, signal, random) => {
      const response = await bedrockOf(way).send(new ConverseStreamCommand(converseInput(random)), {
        abortSignal: signal,
      });
      for await (const _ of response.stream ?? []);
    },
  ],
  // The Vercel AI SDK: generateText on either provider.
  [
    2,
    'ai-sdk',
    async (way, signal, random) => {
      await generateText({
        model: random.pick([way.aiSdk.openai, way.aiSdk.anthropic] as const),
        prompt: random.pick(SHORT_PROMPTS),
        maxOutputTokens: 200,
        maxRetries: 0,
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(AI_SDK_TIMEOUT_MS)]),
      });
    },
  ],
  // The Vercel AI SDK: streamText, read to its end. A failed stream rejects on its final usage.
  [
    2,
    'ai-sdk',
    async (way, signal, random) => {
      // streamText reports a failed stream to onError rather than throwing; the default handler would write it
      // to stderr, over the live summary. It is thrown here, so the call counts as failed.
      let failure: { error: unknown } | undefined;
      const result = streamText({
        model: random.pick([way.aiSdk.openai, way.aiSdk.anthropic] as const),
        prompt: random.pick(SHORT_PROMPTS),
        maxOutputTokens: 200,
        maxRetries: 0,
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(AI_SDK_TIMEOUT_MS)]),
        onError: (event) => {
          failure = { error: event.error };
        },
      });
      for await (const _ of result.textStream);
      if (failure !== undefined) throw failure.error;
    },
  ],
];

const TOTAL_WEIGHT = SCENARIOS.reduce((sum, [weight]) => sum + weight, 0);
const TICK_MS = 25;

/**
 * Sends a seeded mix of real client calls (OpenAI chat JSON and streams with and without usage, reasoning, cached
 * prompts, Responses JSON and streams, embeddings; Anthropic messages JSON, streams and cached prompts; Gemini
 * JSON and streams; Bedrock Converse JSON and streams; Vercel AI SDK text generation and streams on OpenAI and
 * Anthropic models) at a
 * steady rate through several ways in, with bounded concurrency. Failed calls are expected (the simulated
 * upstream injects faults); they are counted, never thrown.
 */
export class TrafficDriver {
  private readonly random: SeededRandom;
  private readonly maxConcurrency: number;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly bedrockWays: readonly TrafficWay[];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private due = 0;
  private readonly counts: TrafficCounts = {
    started: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    succeededBy: { openai: 0, anthropic: 0, gemini: 0, 'ai-sdk': 0, bedrock: 0 },
  };

  constructor(private readonly options: TrafficDriverOptions) {
    if (!(options.rps > 0)) throw new RangeError(`rps must be above 0, got ${options.rps}`);
    if (options.ways.length === 0) throw new RangeError('at least one way in is needed');
    this.random = new SeededRandom(options.seed);
    this.maxConcurrency = options.maxConcurrency ?? 64;
    this.bedrockWays = options.ways.filter((way) => way.bedrock !== undefined);
  }

  /** What was sent so far. */
  get stats(): Readonly<TrafficCounts> {
    return { ...this.counts, succeededBy: { ...this.counts.succeededBy } };
  }

  /** Calls under way. */
  get active(): number {
    return this.inFlight.size;
  }

  /** Starts sending; the first call leaves at once. */
  start(): void {
    if (this.timer || this.abort.signal.aborted) return;
    this.startedAt = performance.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops starting calls; calls under way go on. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Stops starting calls, lets the calls under way finish for up to `graceMs`, then aborts the rest (they are
   * measured as `aborted`) and waits for them to settle.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.idle(), deadline]);
    clearTimeout(timer);
    this.abort.abort();
    await this.idle();
  }

  private async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private tick(): void {
    const elapsedSeconds = (performance.now() - this.startedAt) / 1000;
    // Calls due so far, counting the first one at time 0; the difference to what left is what is due now.
    const dueNow = Math.floor(elapsedSeconds * this.options.rps) + 1;
    while (this.due < dueNow) {
      this.due += 1;
      if (this.inFlight.size >= this.maxConcurrency) this.counts.skipped += 1;
      else this.launch();
    }
  }

  private launch(): void {
    const [client, scenario] = this.pickScenario();
    // Bedrock goes only through the ways that have a Bedrock client (the SDK's); when none has one, another call.
    const ways = client === 'bedrock' ? this.bedrockWays : this.options.ways;
    if (ways.length === 0) {
      this.launch();
      return;
    }
    const way = ways[Math.floor(this.random.next() * ways.length)] as TrafficWay;
    this.counts.started += 1;
    const call = scenario(way, this.abort.signal, this.random).then(
      () => {
        this.counts.succeeded += 1;
        this.counts.succeededBy[client] += 1;
      },
      () => {
        // The simulated faults are the point of the demo: they are measured, nothing to report here.
        this.counts.failed += 1;
      },
    );
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }

  private pickScenario(): readonly [DemoClient, Scenario] {
    let roll = this.random.next() * TOTAL_WEIGHT;
    for (const [weight, client, scenario] of SCENARIOS) {
      roll -= weight;
      if (roll < 0) return [client, scenario];
    }
    const [, client, scenario] = SCENARIOS[0] as (typeof SCENARIOS)[number];
    return [client, scenario];
  }
}
