import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleSum } from '../support/prometheus-text.js';

// Every TypeScript example of the README typechecks with the repo's strict settings, and those that finish run here
// as written, against the simulator (the SDKs read their base URLs from the environment). The dashboard example
// serves forever, so it is only typechecked; test/dashboard/sdk-dashboard.test.ts runs the same API in Chromium.
const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
// Inside the repo, so that the examples resolve packages as a user's code would (gitignored).
const dir = join(root, 'test/readme/.examples');
const files = examples.map((_, index) => join(dir, `example-${index + 1}.ts`));
const example = (needle: string) => {
  const index = examples.findIndex((code) => code.includes(needle));
  if (index < 0) throw new Error(`no README example contains ${needle}`);
  return { code: examples[index] ?? '', file: files[index] ?? '' };
};

let sim: Simulator;
const env = { ...process.env };

beforeAll(async () => {
  sim = await startSimulator();
  Object.assign(process.env, {
    OPENAI_BASE_URL: `${sim.url}/v1`,
    OPENAI_API_KEY: 'sk-readme',
    ANTHROPIC_BASE_URL: sim.url,
    ANTHROPIC_API_KEY: 'sk-ant-readme',
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  examples.forEach((code, index) => {
    writeFileSync(files[index] ?? '', `${code}\nexport {};\n`);
  });
});

afterAll(async () => {
  process.env = env;
  await sim.close();
});

beforeEach(() => {
  register.clear();
  sim.reset();
});

describe('README examples', () => {
  it('has the examples this test knows', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it('typecheck as written', async () => {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({ extends: '../../../tsconfig.json', include: ['*.ts'] }));
    const tsc = join(root, 'node_modules/.bin/tsc');
    await expect(promisify(execFile)(tsc, ['-p', config, '--noEmit'])).resolves.toBeDefined();
  });

  it('the OpenAI quickstart measures its call, with its labels and exact cost', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import(example('instrument(new OpenAI()').file);
    log.mockRestore();
    const text = await register.metrics();
    // OPENAI_BASE_URL points at the simulator, an OpenAI-compatible server: the provider label is its host.
    const labels = {
      provider: new URL(sim.url).host,
      model: 'gpt-4o-mini',
      operation: 'chat',
      app: 'search',
      team: 'ads',
    };
    expect(sampleSum(text, 'llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    // The simulator's default reply: 10 input and 5 output tokens; gpt-4o-mini is $0.15 and $0.60 per million.
    expect(sampleSum(text, 'llm_tokens_total', { ...labels, type: 'input' })).toBe(10);
    expect(sampleSum(text, 'llm_tokens_total', { ...labels, type: 'output' })).toBe(5);
    expect(sampleSum(text, 'llm_cost_usd_total', labels)).toBeCloseTo((10 * 0.15 + 5 * 0.6) / 1e6, 15);
    expect(sim.requests).toHaveLength(1);
  });

  it('the Anthropic example measures its stream', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import(example('instrument(new Anthropic())').file);
    write.mockRestore();
    log.mockRestore();
    const text = await register.metrics();
    const labels = { provider: 'anthropic', model: 'claude-haiku-4-5', operation: 'chat' };
    expect(sampleSum(text, 'llm_requests_total', { ...labels, status: 'ok' })).toBe(1);
    expect(sampleSum(text, 'llm_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(sampleSum(text, 'llm_tokens_total', { ...labels, type: 'input' })).toBe(10);
    expect(sampleSum(text, 'llm_tokens_total', { ...labels, type: 'output' })).toBe(5);
    // claude-haiku-4-5: $1 input and $5 output per million.
    expect(sampleSum(text, 'llm_cost_usd_total', labels)).toBeCloseTo((10 * 1 + 5 * 5) / 1e6, 15);
  });

  it('the price override example prices its models', async () => {
    await import(example("'my-finetune'").file);
    const { createMeter } = await import('@llmeter/core');
    // The example's meter owns the global registry's metrics; a second one on it shares them.
    createMeter().record({
      provider: 'openai',
      operation: 'chat',
      model: 'my-finetune',
      stream: false,
      startedAt: 0,
      endedAt: 1,
      usageSource: 'reported',
      usage: { input: 1e6, output: 1e6, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
    });
    expect(sampleSum(await register.metrics(), 'llm_cost_usd_total', { model: 'my-finetune' })).toBe(0);
    expect(sampleSum(await register.metrics(), 'llm_unpriced_requests_total', { model: 'my-finetune' })).toBe(1);
  });
});
