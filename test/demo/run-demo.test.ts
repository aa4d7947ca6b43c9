import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../apps/cli/src/demo/run-demo.js';
import { DEMO_MODELS } from '../../apps/cli/src/demo/traffic-driver.js';

/** A stream that keeps what is written, as a pipe would get it (not a TTY). */
function textSink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/** Whether a port of 127.0.0.1 can be listened on again (its server is closed). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('runDemo', () => {
  it('drives traffic both ways in, prints the summary with models and a total cost, then stops cleanly', async () => {
    const sink = textSink();
    const result = await runDemo({
      durationSeconds: 3,
      rps: 10,
      port: 0,
      seed: 7,
      speed: 10,
      output: sink.stream,
      refreshMs: 1000,
      drainMs: 1000,
    });
    const text = sink.text();
    const proxyPort = Number(new URL(result.proxyUrl).port);
    const simulatorPort = Number(new URL(result.simulatorUrl).port);

    expect(text).toContain(`metrics: ${result.proxyUrl}/metrics`);
    expect(text).toContain(`dashboard: ${result.proxyUrl}/dashboard`);
    // Periodic plain lines (not a TTY: no cursor movement).
    expect(text).toMatch(/^\[\d+ s\] \d+ requests, [\d.]+% errors/m);
    expect(text).not.toContain('\u001b[');
    // 3 s of traffic, then at most 1 s of drain: a cold process on a loaded machine (a tokenizer's first load, the
    // calls under way at the end) may round up to 4 s.
    expect(text).toMatch(/llmeter demo finished after [34] s/);

    const finalTable = text.slice(text.lastIndexOf('llmeter demo finished'));
    expect(finalTable).toMatch(/^model +provider +requests +errors +p95 latency +p95 TTFT +tokens +cost$/m);
    const modelRows = result.summary.models.map((model) => model.model);
    expect(modelRows.length).toBeGreaterThanOrEqual(3);
    for (const model of modelRows) {
      expect(DEMO_MODELS).toContain(model);
      expect(finalTable).toMatch(new RegExp(`^${model.replace(/[.]/g, '\\.')} `, 'm'));
    }
    const totalLine = /^total +[\d,]+ +[\d.]+% .*\$(\d+\.\d+)$/m.exec(finalTable);
    expect(totalLine).not.toBeNull();
    expect(Number(totalLine?.[1])).toBeGreaterThan(0);
    expect(result.summary.total.costUsd).toBeGreaterThan(0);

    // Both ways in were used and measured on the one registry: every client library got calls through, and every
    // call that succeeded (the AI SDK's through llmeterMiddleware too) was counted.
    expect(result.traffic.started).toBeGreaterThanOrEqual(20);
    for (const client of ['openai', 'anthropic', 'gemini', 'ai-sdk', 'bedrock'] as const) {
      expect(result.traffic.succeededBy[client], client).toBeGreaterThan(0);
    }
    expect(result.summary.total.requests).toBeGreaterThanOrEqual(result.traffic.succeeded);
    // The providers side by side, as the dashboard shows them.
    expect(new Set(result.summary.models.map((model) => model.provider))).toEqual(
      new Set(['openai', 'anthropic', 'gemini', 'aws.bedrock']),
    );
    expect(finalTable).toMatch(/^gemini-2\.5-flash(-lite)? +gemini +\d+ /m);
    // Bedrock, through the instrumented client only (the proxy does not forward it), and priced.
    const bedrockRows = result.summary.models.filter((model) => model.provider === 'aws.bedrock');
    expect(bedrockRows.length).toBeGreaterThan(0);
    for (const row of bedrockRows) {
      expect(['amazon.nova-lite-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0']).toContain(row.model);
    }
    expect(bedrockRows.reduce((sum, row) => sum + row.costUsd, 0)).toBeGreaterThan(0);
    expect(finalTable).toMatch(
      /^(amazon\.nova-lite-v1:0|us\.anthropic\.claude-sonnet-4-5-20250929-v1:0) +aws\.bedrock +\d+ /m,
    );
    expect(result.interrupted).toBe(false);
    // Everything stopped: nothing in flight, both servers closed.
    expect(result.summary.total.inFlight).toBe(0);
    expect(await portIsFree(proxyPort)).toBe(true);
    expect(await portIsFree(simulatorPort)).toBe(true);
  });

  it('stops early when its signal aborts, like Ctrl-C', async () => {
    const sink = textSink();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 800);
    const started = performance.now();
    const result = await runDemo({
      rps: 5,
      port: 0,
      speed: 10,
      output: sink.stream,
      signal: stop.signal,
      drainMs: 500,
    });
    expect(result.interrupted).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(sink.text()).toContain('llmeter demo stopped after');
    expect(await portIsFree(Number(new URL(result.proxyUrl).port))).toBe(true);
  });
});
