import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/run-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// `npm run bench -- --smoke`: every benchmark with tiny counts. This checks that they all run and print every
// row of the table, not their figures (a shared CI machine's figures mean nothing).
describe('npm run bench --smoke', () => {
  it('runs every benchmark and prints every row of the table', { timeout: 120_000 }, async () => {
    const run = await runProcess(process.execPath, ['bench/run.mjs', '--smoke'], { cwd: ROOT, timeoutMs: 110_000 });
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('| '));
    const cells = rows.map((line) =>
      line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim()),
    );
    const proxies = [
      'bare http-proxy (floor)',
      ...(existsSync('/usr/sbin/nginx') ? ['nginx'] : []),
      'portkey gateway',
      'llmeter proxy',
    ];
    const proxyCases = [
      'JSON chat reply',
      ...['spaced', 'burst'].flatMap((arrival) => [
        `200-chunk stream, usage asked, ${arrival}`,
        `200-chunk stream, usage injected, ${arrival}`,
      ]),
    ];
    const sdkCases = [
      'non-streaming call',
      'non-streaming call, OpenAI reply headers',
      'stream, per chunk (50 chunks)',
      'stream, usage not asked, per chunk (50 chunks)',
    ];
    const sdkContenders = [
      'unwrapped openai (floor)',
      'hand-written prom-client',
      'OpenTelemetry instrumentation',
      'llmeter instrument()',
    ];
    expect(cells).toEqual([
      ['bench', 'case', 'contender'],
      ...proxyCases.flatMap((name) => proxies.map((proxy) => ['proxy', name, proxy])),
      ...sdkCases.flatMap((name) => sdkContenders.map((contender) => ['sdk', name, contender])),
      ['scrape', '/metrics idle, default series budget', 'llmeter proxy'],
      ['scrape', '/metrics idle, proxy CPU per scrape', 'llmeter proxy'],
      ['scrape', '/metrics under load, default series budget', 'llmeter proxy'],
      ['scrape', 'idle proxy CPU, dashboard on', 'llmeter proxy'],
      ...['RSS growth while 2 MB stream through', 'RSS per 1,000 concurrent streams'].flatMap((name) => [
        ['memory', name, 'bare http-proxy (floor)'],
        ['memory', name, 'llmeter proxy'],
      ]),
    ]);
    // Each row has a figure; the header names the machine and Node.
    for (const line of rows.slice(1)) {
      expect(line.split('|')[4]?.trim()).toMatch(/^-?\d+(\.\d+)? (µs|ms|MB|% of a core)/);
    }
    expect(run.stdout).toMatch(/^\d{4}-\d\d-\d\d, \d+ cores \(.+\), Node v\d+/m);
    // Every wrapper measured every call it made.
    expect(run.stdout).toMatch(
      /hand-written prom-client [1-9]\d*, OpenTelemetry instrumentation [1-9]\d*, llmeter instrument\(\) [1-9]\d*/,
    );
  });

  it('splits the first byte inside each proxy, each on its own CPU (--pin)', { timeout: 90_000 }, async () => {
    const args = ['bench/proxy-overhead.mjs', '--only', 'ttfb', '--ttfb', '3', '--pin'];
    const run = await runProcess(process.execPath, args, { cwd: ROOT, timeoutMs: 80_000 });
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.code).toBe(0);
    // One line per case, each proxy's two halves measured: a number, never NaN (a hook that saw no write).
    const own = run.stdout.split('\n').filter((line) => line.includes('in the proxy, µs:'));
    expect(own).toHaveLength(7);
    for (const line of own) {
      expect(line).toMatch(/bare request \d+\.\d, response \d+\.\d +llmeter request \d+\.\d, response \d+\.\d$/);
    }
  });
});
