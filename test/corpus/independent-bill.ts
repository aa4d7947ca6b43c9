import { calcPrice, extractUsage, findProvider, type Provider, type Usage } from '@pydantic/genai-prices';
import type { CorpusFixture } from './corpus.js';

// What a recorded response bills, worked out WITHOUT llmeter's parsers: the usage object is picked out of the
// bytes by plain JSON handling, genai-prices' own `extractUsage` reads it, and its `calcPrice` prices it. The
// few rules genai-prices' extractors do not know are applied here by hand, each from the provider's documentation:
// - Anthropic `usage.iterations` (compaction, advisor): every iteration is billed, each at its own `model` (an
//   advisor's) or the call's; the top-level counts leave out the compaction step.
// - OpenAI Responses `web_search_call` output items: one billed web search each.
// - Gemini streams: each chunk's `usageMetadata` is the running total, the last one the bill; a JSON-array stream
//   is one array of such chunks. Vertex AI `predict` embeddings report `statistics.token_count` per input (no
//   `usageMetadata`): their sum is the input.
// - OpenAI service tiers (the response's `service_tier`: `flex`, `priority`), which genai-prices does not price:
//   OpenAI's published per-million prices of the tier, by hand (TIER_PRICES).
// - Ollama (no genai-prices provider): `prompt_eval_count` is the input, `eval_count` the output, as Ollama's API
//   documents them; in a stream, the `done: true` line carries them. Priced by model id alone, as for vLLM.

/** Tokens by the `type` label of `llm_tokens_total`. */
export interface TokensByType {
  input: number;
  output: number;
  cached_input: number;
  cache_write: number;
  reasoning: number;
}

/** What a response bills: tokens by type (sub-inferences included) and USD (undefined: no known price). */
export interface Bill {
  model: string;
  tokens: TokensByType;
  cost: number | undefined;
}

/** The pricing time of every comparison: genai-prices' bundled data picks prices by date. */
export const PRICED_AT = new Date('2026-06-01T12:00:00Z');

const providers = {
  openai: findProvider({ providerId: 'openai' }) as Provider,
  anthropic: findProvider({ providerId: 'anthropic' }) as Provider,
  google: findProvider({ providerId: 'google' }) as Provider,
};

/**
 * OpenAI's published prices of the `flex` and `priority` tiers (USD per million tokens: input, cached input,
 * output), by hand from openai.com/api/pricing (Flex: half the standard gpt-5 price, Priority: twice it), for the
 * models of the corpus's tier recordings.
 */
const TIER_PRICES: Readonly<Record<string, Readonly<Record<string, readonly [number, number, number]>>>> = {
  'gpt-5': { flex: [0.625, 0.0625, 5], priority: [2.5, 0.25, 20] },
};

/** The bill of `usage` at a tier's prices, or `undefined` when the tier is the standard one or not listed. */
function tierPrice(usage: Usage, model: string, tier: unknown): number | undefined {
  if (tier !== 'flex' && tier !== 'priority') return undefined;
  const prices = TIER_PRICES[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')]?.[tier];
  if (prices === undefined) return undefined;
  const [input, cached, output] = prices;
  const cachedTokens = usage.cache_read_tokens ?? 0;
  const uncached = (usage.input_tokens ?? 0) - cachedTokens;
  return (uncached * input + cachedTokens * cached + (usage.output_tokens ?? 0) * output) / 1e6;
}

/** The `data:` payloads of an SSE body, parsed (non-JSON ones, such as `[DONE]`, left out). */
export function sseData(text: string): Record<string, unknown>[] {
  const payloads: Record<string, unknown>[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data === '' || data === '[DONE]') continue;
    try {
      const value: unknown = JSON.parse(data);
      if (typeof value === 'object' && value !== null) payloads.push(value as Record<string, unknown>);
    } catch {
      // Not JSON: nothing billed in it.
    }
  }
  return payloads;
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/**
 * The body whose `usage` is the call's bill: the JSON body itself, or for a stream the object the provider's last
 * usage report sits in. `undefined` when the response reports no usage.
 */
function billedBody(fixture: CorpusFixture, text: string): Json | undefined {
  if (fixture.api.startsWith('gemini-')) {
    const chunks: unknown[] = !fixture.stream
      ? [JSON.parse(text)]
      : fixture.contentType.startsWith('text/event-stream')
        ? sseData(text)
        : (JSON.parse(text) as unknown[]);
    // The last chunk that reports usage; the model is the one any chunk names.
    const last = obj(chunks.findLast((chunk) => obj(obj(chunk)?.usageMetadata) !== undefined));
    const model = chunks.map((chunk) => obj(chunk)?.modelVersion).findLast((name) => typeof name === 'string');
    return last === undefined ? undefined : { ...last, ...(model === undefined ? {} : { modelVersion: model }) };
  }
  if (!fixture.stream) {
    const body = obj(JSON.parse(text));
    return obj(body?.usage) === undefined ? undefined : body;
  }
  const events = sseData(text);
  if (fixture.api === 'anthropic-messages') {
    const start = obj(events.find((event) => event.type === 'message_start')?.message);
    const deltas = events.filter((event) => event.type === 'message_delta');
    if (start === undefined) return undefined;
    // message_delta's usage fields replace message_start's (cumulative output, post-compaction counts).
    const usage = Object.assign({}, obj(start.usage), ...deltas.map((delta) => obj(delta.usage) ?? {}));
    return { model: start.model, usage };
  }
  if (fixture.api === 'openai-responses' || fixture.api === 'openai-responses-retrieve') {
    const end = events.findLast((event) => ['response.completed', 'response.incomplete'].includes(String(event.type)));
    const response = obj(end?.response);
    return obj(response?.usage) === undefined ? undefined : response;
  }
  // Chat / legacy completions chunks: the last chunk carrying usage (Groq: under x_groq).
  for (let i = events.length - 1; i >= 0; i--) {
    const chunk = events[i] as Json;
    if (obj(chunk.usage) !== undefined) return chunk;
    const groq = obj(obj(chunk.x_groq)?.usage);
    if (groq !== undefined) return { model: chunk.model, usage: groq };
  }
  return undefined;
}

function flavor(fixture: CorpusFixture): { provider: Provider; flavor: string } {
  switch (fixture.api) {
    case 'gemini-generate-content':
    case 'gemini-stream-generate-content':
      return { provider: providers.google, flavor: 'default' };
    case 'anthropic-messages':
      return { provider: providers.anthropic, flavor: 'default' };
    case 'openai-responses':
    case 'openai-responses-retrieve':
    case 'openai-responses-compact':
      return { provider: providers.openai, flavor: 'responses' };
    case 'openai-embeddings':
      return { provider: providers.openai, flavor: 'embeddings' };
    default:
      // Chat and legacy Completions share prompt_tokens / completion_tokens.
      return { provider: providers.openai, flavor: 'chat' };
  }
}

function tokensOf(usage: Usage): TokensByType {
  return {
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cached_input: usage.cache_read_tokens ?? 0,
    cache_write: usage.cache_write_tokens ?? 0,
    // llmeter's one rule over raw counts: a part is capped by its whole (OpenRouter has reported 11 reasoning
    // tokens of 10 completion tokens), so that derived counts never go negative.
    reasoning: Math.min(usage.output_reasoning_tokens ?? 0, usage.output_tokens ?? 0),
  };
}

function price(usage: Usage, model: string, providerId: string | undefined): number | undefined {
  try {
    const options = providerId === undefined ? { timestamp: PRICED_AT } : { providerId, timestamp: PRICED_AT };
    const result = calcPrice(usage, model, options);
    if (result === null) return undefined;
    if (result.model_price.input_mtok === undefined && result.model_price.output_mtok === undefined) return undefined;
    return result.total_price;
  } catch {
    return undefined;
  }
}

/**
 * The bill of a fixture's response, or `undefined` when it reports no usage. `providerId` is the genai-prices
 * provider whose prices apply (`undefined`: by model id alone); `requestModel` names the model when the body
 * does not.
 */
export function independentBill(
  fixture: CorpusFixture,
  text: string,
  providerId: string | undefined,
  requestModel: string,
): Bill | undefined {
  if (fixture.api === 'ollama-chat') return ollamaBill(fixture, text, requestModel);
  if (fixture.api === 'vertex-predict') return vertexPredictBill(text, requestModel, providerId);
  const body = billedBody(fixture, text);
  if (body === undefined) return undefined;
  const { provider, flavor: apiFlavor } = flavor(fixture);
  const extracted = extractUsage(provider, body, apiFlavor);
  const model = extracted.model ?? requestModel;
  const usage: Usage = { ...extracted.usage };
  if (fixture.api === 'openai-responses' || fixture.api === 'openai-responses-retrieve') {
    const searches = (Array.isArray(body.output) ? body.output : []).filter(
      (item) => obj(item)?.type === 'web_search_call',
    ).length;
    if (searches > 0) usage.web_searches = searches;
  }
  const iterations = obj(body.usage)?.iterations;
  if (fixture.api !== 'anthropic-messages' || !Array.isArray(iterations) || iterations.length === 0) {
    // A flex / priority call is billed at that tier's token prices (genai-prices has standard ones only).
    const tiered = usage.web_searches === undefined ? tierPrice(usage, model, body.service_tier) : undefined;
    return { model, tokens: tokensOf(usage), cost: tiered ?? price(usage, model, providerId) };
  }
  // Every iteration is billed; extract each as a usage of its own, priced at its model.
  const tokens: TokensByType = { input: 0, output: 0, cached_input: 0, cache_write: 0, reasoning: 0 };
  let cost: number | undefined = 0;
  let first = true;
  for (const iteration of iterations as Json[]) {
    const iterationModel = typeof iteration.model === 'string' ? iteration.model : model;
    const one: Usage = { ...extractUsage(provider, { model: iterationModel, usage: iteration }, 'default').usage };
    if (first && iteration.model === undefined) {
      // Per-call charges reported at the top level only: server tool calls, billed with the call's own model.
      if (usage.web_searches !== undefined) one.web_searches = usage.web_searches;
      first = false;
    }
    const t = tokensOf(one);
    tokens.input += t.input;
    tokens.output += t.output;
    tokens.cached_input += t.cached_input;
    tokens.cache_write += t.cache_write;
    const c = price(one, iterationModel, providerId);
    cost = cost === undefined || c === undefined ? undefined : cost + c;
  }
  tokens.reasoning = usage.output_reasoning_tokens ?? 0;
  return { model, tokens, cost };
}

/** By hand, from Ollama's API documentation: the JSON body, or the stream's `done: true` line. */
function ollamaBill(fixture: CorpusFixture, text: string, requestModel: string): Bill | undefined {
  const lines = fixture.stream ? text.split('\n').filter((line) => line.trim() !== '') : [text];
  const done = lines.map((line) => obj(JSON.parse(line))).findLast((line) => line?.done === true);
  if (done === undefined || typeof done.eval_count !== 'number') return undefined;
  const model = typeof done.model === 'string' ? done.model : requestModel;
  const usage: Usage = { input_tokens: Number(done.prompt_eval_count ?? 0), output_tokens: done.eval_count };
  return { model, tokens: tokensOf(usage), cost: price(usage, model, undefined) };
}

/** By hand: Vertex AI `predict` embeddings count the input of each instance in `statistics.token_count`. */
function vertexPredictBill(text: string, model: string, providerId: string | undefined): Bill | undefined {
  const predictions = obj(JSON.parse(text))?.predictions;
  if (!Array.isArray(predictions)) return undefined;
  const counts = predictions.map((prediction) => obj(obj(obj(prediction)?.embeddings)?.statistics)?.token_count);
  if (!counts.every((count) => typeof count === 'number')) return undefined;
  const usage: Usage = { input_tokens: (counts as number[]).reduce((sum, count) => sum + count, 0) };
  return { model, tokens: tokensOf(usage), cost: price(usage, model, providerId) };
}
