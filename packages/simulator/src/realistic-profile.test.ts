import { Anthropic } from '@anthropic-ai/sdk';
import { OpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { type SimulatorOptions, startSimulator } from './index.js';

const PROMPT = 'Explain what a Prometheus histogram is. '.repeat(20);

interface Observed {
  model: string;
  text: string;
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

/** Plays the same fixed sequence of chat calls against a fresh realistic simulator. */
async function observe(options: SimulatorOptions): Promise<Observed[]> {
  const sim = await startSimulator({ profile: 'realistic', speed: 1_000, faultRate: 0, ...options });
  try {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const observed: Observed[] = [];
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'o4-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4o']) {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: PROMPT.repeat(model === 'gpt-4o' ? 4 : 1) }],
        max_completion_tokens: 400,
      });
      observed.push({
        model: completion.model,
        text: completion.choices[0]?.message.content ?? '',
        input: completion.usage?.prompt_tokens ?? -1,
        output: completion.usage?.completion_tokens ?? -1,
        cached: completion.usage?.prompt_tokens_details?.cached_tokens ?? -1,
        reasoning: completion.usage?.completion_tokens_details?.reasoning_tokens ?? -1,
      });
    }
    return observed;
  } finally {
    await sim.close();
  }
}

describe('the realistic profile', () => {
  it('gives varied replies that the seed fully determines', async () => {
    const first = await observe({ seed: 42 });
    const again = await observe({ seed: 42 });
    const other = await observe({ seed: 7 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first.map((o) => o.output)).size).toBeGreaterThan(3);
    expect(first.map((o) => o.model)).toEqual([
      'gpt-4o-2024-08-06',
      'gpt-4o-mini-2024-07-18',
      'o4-mini-2025-04-16',
      'gpt-4o-2024-08-06',
      'gpt-4.1-mini-2025-04-14',
      'gpt-4o-2024-08-06',
    ]);
    for (const o of first) {
      expect(o.output).toBeLessThanOrEqual(400);
      expect(o.text.split(' ').length).toBe(o.output - o.reasoning);
      expect(o.cached % 128).toBe(0);
    }
    // Input tokens follow the prompt: four times the text, about four times the tokens.
    expect(first[0]?.input).toBeGreaterThan(3.5 * (first[1]?.input ?? 0));
    expect(first[2]?.reasoning).toBeGreaterThan(0);
  });

  it("injects faults at the configured rate: errors with the providers' bodies, cuts and hangs", async () => {
    const sim = await startSimulator({ profile: 'realistic', seed: 3, speed: 1_000, faultRate: 1, hangMs: 30_000 });
    try {
      const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 200 });
      const outcomes = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const outcome = await (async () => {
          const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true });
          for await (const _chunk of stream);
          return 'completed';
        })().catch((e: unknown) => (e instanceof OpenAI.APIError ? `${e.constructor.name} ${e.status}` : String(e)));
        outcomes.add(outcome);
      }
      expect([...outcomes].sort()).toEqual([
        'APIConnectionTimeoutError undefined',
        'InternalServerError 500',
        'InternalServerError 503',
        'RateLimitError 429',
        'TypeError: terminated',
      ]);

      const anthropic = new Anthropic({ baseURL: sim.url, apiKey: 'test', maxRetries: 0, timeout: 200 });
      const statuses = new Set<number | undefined>();
      for (let i = 0; i < 20; i++) {
        await anthropic.messages
          .create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [] })
          .catch((e: unknown) => statuses.add(e instanceof Anthropic.APIError ? e.status : -1));
      }
      expect(statuses).toContain(529);
    } finally {
      await sim.close();
    }
  });

  it('lets scripted replies take precedence and serves embeddings', async () => {
    const sim = await startSimulator({ profile: 'realistic', speed: 1_000, faultRate: 0 });
    try {
      const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0 });
      sim.enqueue({ text: 'scripted' });
      const scripted = await client.chat.completions.create({ model: 'gpt-4o', messages: [] });
      expect(scripted.choices[0]?.message.content).toBe('scripted');
      const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: PROMPT });
      expect(embeddings.usage.prompt_tokens).toBe(Math.ceil(PROMPT.length / 4));
      expect(embeddings.data[0]?.embedding).toHaveLength(1536);
    } finally {
      await sim.close();
    }
  });

  it('answers Bedrock Converse for the model in its path, within inferenceConfig.maxTokens, seeded', async () => {
    const converse = async (seed: number): Promise<unknown[]> => {
      const sim = await startSimulator({ profile: 'realistic', speed: 1_000, faultRate: 0, seed });
      try {
        const usages: unknown[] = [];
        for (const model of ['amazon.nova-lite-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0']) {
          for (const maxTokens of [40, 4000]) {
            const response = await fetch(`${sim.url}/model/${encodeURIComponent(model)}/converse`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                messages: [{ role: 'user', content: [{ text: PROMPT }] }],
                inferenceConfig: { maxTokens },
              }),
            });
            expect(response.status).toBe(200);
            const body = (await response.json()) as { usage: { inputTokens: number; outputTokens: number } };
            // About four characters a token (the text and the role), plus three for the one message.
            expect(body.usage.inputTokens).toBe(Math.ceil((PROMPT.length + 'user'.length) / 4) + 3);
            if (maxTokens === 40) expect(body.usage.outputTokens).toBeLessThanOrEqual(40);
            usages.push(body.usage);
          }
        }
        return usages;
      } finally {
        await sim.close();
      }
    };
    const first = await converse(3);
    expect(await converse(3)).toEqual(first);
    expect(await converse(4)).not.toEqual(first);
  });
});
