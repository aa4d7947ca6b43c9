// The scrape benchmark's proxy, in a process of its own: labelled by a header, offered 30,000 label sets against
// the default series budget (recorded on its meter, as its traffic would), dashboard on as by default.
//   node bench/lib/filled-proxy-worker.mjs <upstream url> [module exporting startProxy]
// The module defaults to @llmeter/proxy; another build's (LLMETER_BENCH_BEFORE) gives a before/after run.
// Sends `{ port }` over IPC once listening; exits when the parent disconnects.
import { fillLabelSets } from './label-sets.mjs';

const [upstream, module = '@llmeter/proxy'] = process.argv.slice(2);
const { startProxy } = await import(module);
const proxy = await startProxy({ port: 0, upstreams: { openai: upstream }, labelHeaders: ['team'] });
fillLabelSets(proxy.meter, 30_000);
process.on('disconnect', () => process.exit(0));
process.send({ port: proxy.port });
