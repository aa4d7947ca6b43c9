// Copied into a temporary project where the packed tarballs were installed, then type-checked there (tsc, against
// the shipped .d.ts files) and run there (Node strips the types): llmeter used the way the README tells users to
// use it, resolving nothing from the monorepo. Prints one JSON line, a MeasuredInstall, for the test.
import { startProxy } from '@llmeter/proxy';
import { instrument } from '@llmeter/sdk';
import { startSimulator } from '@llmeter/simulator';
import OpenAI from 'openai';
import { Registry } from 'prom-client';

/** What the program saw, for the test's assertions. */
export interface MeasuredInstall {
  node: string;
  proxiedStatus: number;
  proxiedContent: unknown;
  sdkContent: string | null | undefined;
  upstreamRequests: number;
  /** Path → HTTP status of the dashboard page and of every file it loads. */
  dashboardFiles: Record<string, number>;
  proxyMetricsStatus: number;
  proxyMetrics: string;
  sdkMetrics: string;
}

const MODEL = 'gpt-4o-mini';

/**
 * The dashboard page and every file it loads: its `<script>` and `<link>` URLs, and the relative imports of the
 * scripts among them, recursively; each with the status the proxy answers. A page file left out of the package's
 * `files`, or a missing uplot, shows up as a non-200 here.
 */
async function dashboardFiles(pageUrl: string): Promise<Record<string, number>> {
  const page = await fetch(pageUrl);
  const html = await page.text();
  const base = new URL(/<base href="([^"]+)"/.exec(html)?.[1] ?? page.url, page.url);
  const statuses: Record<string, number> = { [new URL(page.url).pathname]: page.status };
  const queue: URL[] = [];
  const enqueue = (reference: string | undefined, from: URL): void => {
    if (reference === undefined) return;
    const url = new URL(reference, from);
    if (url.origin === base.origin && !(url.pathname in statuses)) queue.push(url);
  };
  for (const [, reference] of html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g))
    enqueue(reference, base);
  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    if (url.pathname in statuses) continue;
    const response = await fetch(url);
    const body = await response.text();
    statuses[url.pathname] = response.status;
    if (!url.pathname.endsWith('.js')) continue;
    for (const [, reference] of body.matchAll(/(?:\bfrom|\bimport)\s*['"](\.{1,2}\/[^'"]+)['"]/g))
      enqueue(reference, url);
  }
  return statuses;
}

const simulator = await startSimulator({ port: 0 });
const proxy = await startProxy({ port: 0, upstreams: { openai: simulator.url }, logLevel: 'silent' });
try {
  // Way 1: any client pointed at the proxy (plain fetch here).
  const proxied = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-pack-test' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }] }),
  });
  const proxiedBody = (await proxied.json()) as { choices?: { message?: { content?: unknown } }[] };

  // Way 2: an instrument()ed openai client, straight at the simulator.
  const registry = new Registry();
  const openai = instrument(new OpenAI({ apiKey: 'sk-pack-test', baseURL: `${simulator.url}/v1`, maxRetries: 0 }), {
    registry,
    provider: 'openai',
  });
  const reply = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }] });

  const dashboard = await dashboardFiles(`${proxy.url}/dashboard`);
  const scraped = await fetch(`${proxy.url}/metrics`);
  const measured: MeasuredInstall = {
    node: process.version,
    proxiedStatus: proxied.status,
    proxiedContent: proxiedBody.choices?.[0]?.message?.content,
    sdkContent: reply.choices[0]?.message.content,
    upstreamRequests: simulator.requests.length,
    dashboardFiles: dashboard,
    proxyMetricsStatus: scraped.status,
    proxyMetrics: await scraped.text(),
    sdkMetrics: await registry.metrics(),
  };
  console.log(JSON.stringify(measured));
} finally {
  await proxy.close();
  await simulator.close();
}
