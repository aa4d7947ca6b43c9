import { isRecord, type ScriptedReply, type SimulatedUsage } from './scripted-reply.js';
import { SeededRandom } from './seeded-random.js';

/** The knobs of the `realistic` profile (ignored by the `scripted` one). */
export interface RealisticProfileOptions {
  /** Seed of the PRNG: the same seed and the same sequence of requests give the same replies. Default 1. */
  seed?: number;
  /**
   * Share of requests that fail, default 0.03. A failure is a 429 with `retry-after` (35 %), a 500 (20 %), an
   * overload (15 %: OpenAI 503, Anthropic 529), a hang of `hangMs` before any headers (10 %) or a stream cut
   * midway (20 %; a non-streamed request gets a 500 instead).
   */
  faultRate?: number;
  /** Time multiplier: 10 makes every delay (and `retry-after`) ten times shorter, except `hangMs`. Default 1. */
  speed?: number;
  /**
   * How long a hung request holds its headers back, default 120 000 ms: past the timeouts apps and proxies
   * typically set. Not shortened by `speed`, since a hang only matters when it outlasts the client's timeout.
   */
  hangMs?: number;
}

/** Makes up replies for requests the scripted queue does not cover. */
export interface RealisticProfile {
  replyFor(route: string, body: Record<string, unknown>): ScriptedReply;
}

interface ModelTraits {
  /** The dated snapshot the provider names in its response. */
  snapshot: string;
  /** Who makes the model: its caching manners (and Anthropic's own API's 529 overload) follow. */
  provider: 'openai' | 'anthropic' | 'google' | 'amazon';
  ttftMedianMs: number;
  msPerToken: number;
  outputTokensMedian: number;
  /** Reasoning models spend part of their output on hidden reasoning tokens. */
  reasoning?: boolean;
  embedding?: boolean;
}

const MODELS: Record<string, ModelTraits> = {
  'gpt-4o': {
    snapshot: 'gpt-4o-2024-08-06',
    provider: 'openai',
    ttftMedianMs: 450,
    msPerToken: 12,
    outputTokensMedian: 160,
  },
  'gpt-4o-mini': {
    snapshot: 'gpt-4o-mini-2024-07-18',
    provider: 'openai',
    ttftMedianMs: 350,
    msPerToken: 8,
    outputTokensMedian: 140,
  },
  'gpt-4.1-mini': {
    snapshot: 'gpt-4.1-mini-2025-04-14',
    provider: 'openai',
    ttftMedianMs: 400,
    msPerToken: 9,
    outputTokensMedian: 150,
  },
  'o4-mini': {
    snapshot: 'o4-mini-2025-04-16',
    provider: 'openai',
    ttftMedianMs: 2500,
    msPerToken: 10,
    outputTokensMedian: 600,
    reasoning: true,
  },
  'text-embedding-3-small': {
    snapshot: 'text-embedding-3-small',
    provider: 'openai',
    ttftMedianMs: 120,
    msPerToken: 0,
    outputTokensMedian: 0,
    embedding: true,
  },
  'claude-sonnet-4-5': {
    snapshot: 'claude-sonnet-4-5-20250929',
    provider: 'anthropic',
    ttftMedianMs: 900,
    msPerToken: 16,
    outputTokensMedian: 220,
  },
  // The Anthropic SDK warns on every call naming claude-sonnet-4-5 (deprecated); the demo uses this one.
  'claude-sonnet-4-6': {
    snapshot: 'claude-sonnet-4-6',
    provider: 'anthropic',
    ttftMedianMs: 900,
    msPerToken: 16,
    outputTokensMedian: 220,
  },
  'claude-haiku-4-5': {
    snapshot: 'claude-haiku-4-5-20251001',
    provider: 'anthropic',
    ttftMedianMs: 450,
    msPerToken: 7,
    outputTokensMedian: 160,
  },
  // Gemini 2.5 models think by default; the API names the model itself as `modelVersion`.
  'gemini-2.5-flash': {
    snapshot: 'gemini-2.5-flash',
    provider: 'google',
    ttftMedianMs: 600,
    msPerToken: 5,
    outputTokensMedian: 300,
    reasoning: true,
  },
  'gemini-2.5-pro': {
    snapshot: 'gemini-2.5-pro',
    provider: 'google',
    ttftMedianMs: 1500,
    msPerToken: 9,
    outputTokensMedian: 500,
    reasoning: true,
  },
  'gemini-2.5-flash-lite': {
    snapshot: 'gemini-2.5-flash-lite',
    provider: 'google',
    ttftMedianMs: 350,
    msPerToken: 3,
    outputTokensMedian: 180,
  },
  'gemini-embedding-001': {
    snapshot: 'gemini-embedding-001',
    provider: 'google',
    ttftMedianMs: 150,
    msPerToken: 0,
    outputTokensMedian: 0,
    embedding: true,
  },
  // AWS Bedrock model ids (Converse names no model in its response: the snapshot is the id itself).
  'amazon.nova-lite-v1:0': {
    snapshot: 'amazon.nova-lite-v1:0',
    provider: 'amazon',
    ttftMedianMs: 300,
    msPerToken: 4,
    outputTokensMedian: 150,
  },
  'amazon.nova-pro-v1:0': {
    snapshot: 'amazon.nova-pro-v1:0',
    provider: 'amazon',
    ttftMedianMs: 500,
    msPerToken: 8,
    outputTokensMedian: 200,
  },
  // A cross-region inference profile, as Bedrock callers name newer Claude models.
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0': {
    snapshot: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    provider: 'anthropic',
    ttftMedianMs: 1000,
    msPerToken: 17,
    outputTokensMedian: 220,
  },
};

/** The models the realistic profile knows the manners of; a request naming another model gets a route default. */
export const REALISTIC_MODELS: readonly string[] = Object.keys(MODELS);

const WORDS = [
  'the',
  'model',
  'request',
  'latency',
  'token',
  'cache',
  'stream',
  'metric',
  'answer',
  'quickly',
  'because',
  'of',
  'a',
  'and',
  'to',
  'is',
  'in',
  'that',
  'with',
  'for',
  'we',
  'can',
  'see',
  'how',
  'each',
  'call',
  'costs',
  'time',
  'when',
  'your',
  'prompt',
  'grows',
  'so',
  'output',
  'first',
  'then',
  'more',
  'data',
] as const;

/** The realistic profile: seeded, per-model latency and length distributions, occasional faults. */
export function createRealisticProfile(options: RealisticProfileOptions): RealisticProfile {
  const random = new SeededRandom(options.seed ?? 1);
  const faultRate = options.faultRate ?? 0.03;
  const speed = options.speed !== undefined && options.speed > 0 ? options.speed : 1;
  const hangMs = options.hangMs ?? 120_000;
  const scaled = (ms: number) => Math.round(ms / speed);

  return {
    replyFor(route, body) {
      if (route === '/models') return {};
      const requested = typeof body.model === 'string' ? body.model : '';
      const known = MODELS[requested];
      const traits = known ?? defaultTraits(route);
      // A model the profile does not know is echoed back as the real APIs do with their aliases.
      const responseModel = known?.snapshot;
      const stream = body.stream === true;
      const fault = random.chance(faultRate) ? random.next() : undefined;
      if (fault !== undefined) {
        if (fault < 0.35) {
          const seconds = Math.max(0, Math.round(random.between(1, 6) / speed));
          return {
            status: 429,
            headers: { 'retry-after': String(seconds) },
            headersDelayMs: scaled(random.logNormal(60, 0.4)),
          };
        }
        if (fault < 0.55 || (fault >= 0.8 && !stream))
          return { status: 500, headersDelayMs: scaled(random.logNormal(300, 0.6)) };
        if (fault < 0.7)
          return {
            // Bedrock overloads are 503s (ServiceUnavailableException), whoever made the model.
            status: traits.provider === 'anthropic' && !route.startsWith('/bedrock/') ? 529 : 503,
            headersDelayMs: scaled(random.logNormal(150, 0.5)),
          };
        if (fault < 0.8) return { headersDelayMs: hangMs };
      }

      const inputTokens = estimateInputTokens(body);
      const usage: SimulatedUsage = { input: inputTokens, output: 0 };
      if (traits.embedding) {
        return { usage, responseModel, headersDelayMs: scaled(random.logNormal(traits.ttftMedianMs, 0.4)), text: '' };
      }
      addCaching(random, traits, usage);
      const limit = outputLimit(body);
      const total = Math.max(1, Math.min(limit, Math.round(random.logNormal(traits.outputTokensMedian, 0.6))));
      const reasoning = traits.reasoning ? Math.min(total - 1, Math.round(total * random.between(0.3, 0.7))) : 0;
      usage.output = total;
      if (reasoning > 0) usage.reasoning = reasoning;
      const chunks = words(random, total - reasoning);

      // Prefill grows with the prompt: about 0.1 s more per 5k input tokens.
      const ttft = random.logNormal(traits.ttftMedianMs, 0.35) + inputTokens / 50;
      const reply: ScriptedReply = {
        chunks,
        usage,
        responseModel,
        firstChunkDelayMs: scaled(ttft + reasoning * traits.msPerToken),
        chunkDelayMs: Math.max(0, scaled(random.logNormal(traits.msPerToken, 0.2))),
      };
      if (fault !== undefined && stream) reply.cutAfterChunks = Math.floor(random.between(0, chunks.length));
      return reply;
    },
  };
}

function defaultTraits(route: string): ModelTraits {
  if (route === '/embeddings') return MODELS['text-embedding-3-small'] as ModelTraits;
  if (route === '/messages') return MODELS['claude-haiku-4-5'] as ModelTraits;
  if (route === '/gemini/embed') return MODELS['gemini-embedding-001'] as ModelTraits;
  if (route === '/gemini/generate') return MODELS['gemini-2.5-flash'] as ModelTraits;
  if (route.startsWith('/bedrock/')) return MODELS['amazon.nova-lite-v1:0'] as ModelTraits;
  return MODELS['gpt-4o-mini'] as ModelTraits;
}

/**
 * Cached prompt tokens show up only on long prompts: OpenAI caches prefixes from 1024 tokens on in steps of 128;
 * Anthropic reads from or writes to a cache the caller marked, so both happen, at different rates.
 */
function addCaching(random: SeededRandom, traits: ModelTraits, usage: SimulatedUsage): void {
  if (usage.input < 1024) return;
  if (traits.provider === 'openai') {
    if (random.chance(0.4)) usage.cachedInput = Math.floor((usage.input * random.between(0.5, 0.95)) / 128) * 128;
    return;
  }
  // Gemini 2.5 caches repeated prompt prefixes implicitly, in no fixed step; Nova reads its cache, free to write.
  if (traits.provider === 'google' || traits.provider === 'amazon') {
    if (random.chance(0.4)) usage.cachedInput = Math.round(usage.input * random.between(0.5, 0.9));
    return;
  }
  const roll = random.next();
  if (roll < 0.45) usage.cachedInput = Math.round(usage.input * random.between(0.6, 0.95));
  else if (roll < 0.6) usage.cacheWrite = Math.round(usage.input * random.between(0.6, 0.95));
}

/** About four characters per token, plus a few tokens of framing per message, as tokenizers tend to give. */
function estimateInputTokens(body: Record<string, unknown>): number {
  let characters = 0;
  let messages = 0;
  // OpenAI and Anthropic bodies, then Gemini's (`contents`, an embedding's `content` or `requests`).
  for (const key of [
    'messages',
    'input',
    'prompt',
    'system',
    'instructions',
    'contents',
    'systemInstruction',
    'content',
    'requests',
  ]) {
    characters += textLength(body[key]);
    const value = body[key];
    if (Array.isArray(value)) messages += value.length;
  }
  return Math.max(1, Math.ceil(characters / 4) + 3 * messages);
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0);
  if (isRecord(value)) return Object.values(value).reduce((sum: number, item) => sum + textLength(item), 0);
  return 0;
}

function outputLimit(body: Record<string, unknown>): number {
  for (const key of ['max_completion_tokens', 'max_output_tokens', 'max_tokens']) {
    const value = body[key];
    if (typeof value === 'number' && value > 0) return Math.floor(value);
  }
  // Gemini's `generationConfig.maxOutputTokens`, Bedrock Converse's `inferenceConfig.maxTokens`.
  for (const [config, key] of [
    ['generationConfig', 'maxOutputTokens'],
    ['inferenceConfig', 'maxTokens'],
  ] as const) {
    const settings = body[config];
    const value = isRecord(settings) ? settings[key] : undefined;
    if (typeof value === 'number' && value > 0) return Math.floor(value);
  }
  return 4096;
}

/** `count` words, one per stream chunk, reading like (meaningless) prose. */
function words(random: SeededRandom, count: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = random.pick(WORDS);
    const sentenceStart = i === 0 || chunks[i - 1]?.endsWith('.');
    const text = sentenceStart ? word.charAt(0).toUpperCase() + word.slice(1) : word;
    const end = i === count - 1 || random.chance(0.08) ? '.' : '';
    chunks.push(`${i === 0 ? '' : ' '}${text}${end}`);
  }
  return chunks;
}
