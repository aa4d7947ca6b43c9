// The scrape section of `npm run bench`: what GET /metrics takes on a llmeter proxy at the default series
// budget (offered 30,000 label sets), dashboard on, while JSON chat traffic runs through it.

import { startFakeUpstream } from './lib/fake-upstream.mjs';
import { load } from './lib/http-load.mjs';
import { startNodeProxy } from './lib/proxy-contenders.mjs';
import { median, timed } from './lib/stats.mjs';

export const SCRAPE_SIZES = { full: { scrapes: 30, concurrency: 8 }, smoke: { scrapes: 2, concurrency: 2 } };

/** Resolves to `{ rows: [{ case, name, ms, lines }], notes }`. */
export async function runScrapeBench(size) {
  const upstream = await startFakeUpstream({ chunks: 1 });
  const proxy = await startNodeProxy('llmeter-filled', upstream.url);
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] };
  try {
    await (await fetch(`${proxy.url}/metrics`)).text(); // warm-up
    let traffic = true;
    const running = (async () => {
      while (traffic) await load(proxy.url, body, 50, size.concurrency, { 'x-llmeter-label-team': 'team-1' });
    })();
    const times = [];
    let lines = 0;
    for (let index = 0; index < size.scrapes; index++) {
      const { ms, result } = await timed(async () => (await fetch(`${proxy.url}/metrics`)).text());
      times.push(ms);
      lines = result.split('\n').length - 1;
    }
    traffic = false;
    await running;
    return {
      rows: [{ case: '/metrics under load, default series budget', name: 'llmeter proxy', ms: median(times), lines }],
      notes: [`/metrics had ${lines} lines; median of ${size.scrapes} scrapes while chat calls ran`],
    };
  } finally {
    proxy.stop();
    upstream.close();
  }
}
