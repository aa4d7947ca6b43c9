// Label sets for the scrape benchmarks: 200 models × 50 teams × 3 operations, in order. Each label set gets two
// calls (a streamed one with usage and time to first token, and a rate-limited one), so it has every series a
// busy label set has.

const OPERATIONS = ['chat', 'responses', 'embeddings'];
const usage = { input: 1200, output: 300, cachedInput: 400, cacheWrite: 0, reasoning: 0 };

/** Records two calls in each of the first `count` label sets on `meter` (labelled by `team`). */
export function fillLabelSets(meter, count) {
  let made = 0;
  for (const operation of OPERATIONS) {
    for (let m = 0; m < 200; m++) {
      for (let t = 0; t < 50; t++) {
        if (made++ >= count) return;
        const call = { provider: 'openai', operation, model: `model-${m}`, labels: { team: `team-${t}` } };
        meter.record({
          ...call,
          stream: true,
          startedAt: 0,
          firstTokenAt: 250,
          endedAt: 1800,
          usage,
          usageSource: 'reported',
        });
        meter.record({
          ...call,
          stream: false,
          startedAt: 0,
          endedAt: 90,
          errorType: 'rate_limit',
          usageSource: 'none',
        });
      }
    }
  }
}
