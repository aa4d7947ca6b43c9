import { instrument } from '@llmeter/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { corpusAnswer, corpusRequest } from '../corpus/corpus.js';
import { useReplayUpstream } from '../support/replay-upstream.js';
import { eventually, metricsText, newRegistry, OPENAI_SDKS, type OpenAiSdk, usd, value } from './harness.js';

// Two real recordings (test/corpus, pydantic-ai's cassettes) through both majors of the `openai` client:
// - `responses.compact` (POST /v1/responses/compact) is a billed call: 124 input, 268 output tokens;
// - OpenRouter's last chunk carries both `error` and `usage` (43 input, 10 output); the client throws on it before
//   handing it out, so the wrapper records `stream_error` (as the proxy does) with a local estimate.

/** gpt-4o-mini, USD per million tokens (the compaction request's model; the response names none). */
const GPT_4O_MINI = { input: 0.15, output: 0.6 };

describe.each(OPENAI_SDKS)('$name: responses.compact and an error chunk with usage', (sdk: OpenAiSdk) => {
  const upstream = useReplayUpstream();
  beforeEach(() => upstream.reset());
  const client = () => new sdk.OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });

  it('measures responses.compact as a Responses call: the usage it reports, priced by the request’s model', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openai' });
    upstream.enqueue(corpusAnswer('openai/responses-compact-json'));
    const body = JSON.parse(corpusRequest('openai/responses-compact-json').toString('utf8')) as Parameters<
      typeof openai.responses.compact
    >[0];
    const compacted = await openai.responses.compact(body);
    expect(compacted.object).toBe('response.compaction');
    expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v1/responses/compact',
    ]);
    const text = await metricsText(registry);
    const labels = { provider: 'openai', model: 'gpt-4o-mini', operation: 'responses' };
    expect(value(text, 'requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBe(124);
    expect(value(text, 'tokens_total', { ...labels, type: 'output' })).toBe(268);
    expect(value(text, 'tokens_total', { type: 'reasoning' })).toBe(0);
    // 124 × 0.15 / 1e6 + 268 × 0.60 / 1e6 = $0.0001794
    expect(value(text, 'cost_usd_total', labels)).toBeCloseTo(
      usd(124, GPT_4O_MINI.input) + usd(268, GPT_4O_MINI.output),
      15,
    );
    expect(value(text, 'usage_estimated_total')).toBe(0);
    expect(value(text, 'usage_missing_total')).toBe(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });

  it('records stream_error for an error chunk after finished choices; its usage is lost to the client', async () => {
    const registry = newRegistry();
    const openai = instrument(client(), { registry, provider: 'openrouter' });
    upstream.enqueue(corpusAnswer('openrouter/chat-stream-error-with-usage'));
    const recorded = corpusRequest('openrouter/chat-stream-error-with-usage').toString('utf8');
    const body = { ...(JSON.parse(recorded) as { model: string; messages: [] }), stream: true as const };
    const chunks: unknown[] = [];
    let thrown: unknown;
    try {
      for await (const chunk of await openai.chat.completions.create(body)) chunks.push(chunk);
    } catch (error) {
      thrown = error;
    }
    // The three chunks before it, then the client's error: no status, only the chunk's `error` (no `usage`).
    expect(chunks.length).toBe(3);
    expect(thrown).toBeInstanceOf(sdk.OpenAI.APIError);
    const apiError = thrown as InstanceType<typeof sdk.OpenAI.APIError>;
    expect(apiError.status).toBeUndefined();
    expect(apiError.error).toEqual({ code: 400, message: 'Token limit reached' });
    await eventually(async () => value(await metricsText(registry), 'requests_total') === 1);
    const text = await metricsText(registry);
    const labels = { provider: 'openrouter', model: 'minimax/minimax-m2:free', operation: 'chat' };
    expect(value(text, 'requests_total', { ...labels, status: 'error' })).toBe(1);
    expect(value(text, 'request_failures_total', { ...labels, error_type: 'stream_error' })).toBe(1);
    // The proxy records the reported 43 / 10; the SDK way in can only count locally.
    expect(value(text, 'usage_estimated_total', labels)).toBe(1);
    expect(value(text, 'tokens_total', { ...labels, type: 'input' })).toBeGreaterThan(0);
    expect(value(text, 'requests_in_flight')).toBe(0);
  });
});
