import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, readConfigFile } from '@llmeter/proxy/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('budgets in the proxy YAML config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmeter-budgets-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const load = async (yaml: string) => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(path, yaml);
    return mergeConfig([readConfigFile(path)]);
  };

  it('reads budgets as the issue writes them', async () => {
    const settings = await load(
      'labelHeaders: [team]\nbudgets:\n  - { labels: { team: ads }, usd: 500, period: month }\n  - { usd: 50, period: day }\n',
    );
    expect(settings.budgets).toEqual([
      { labels: { team: 'ads' }, usd: 500, period: 'month' },
      { labels: {}, usd: 50, period: 'day' },
    ]);
  });

  it('names what is wrong with a budget', async () => {
    await expect(load('budgets:\n  - { usd: -1, period: year }\n')).rejects.toThrow(
      /budgets\[0\]\.usd must be a positive number, got -1\n.*budgets\[0\]\.period must be one of day, week, month, got "year"/,
    );
  });
});
