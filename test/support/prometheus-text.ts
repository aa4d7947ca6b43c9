/**
 * Reads samples out of Prometheus text exposition, so tests assert on what Prometheus would scrape rather than
 * on prom-client's internals.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of an exposition text. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, raw] of (match[2] ?? '').matchAll(LABEL_PAIR)) {
      if (name !== undefined && raw !== undefined)
        labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function findSamples(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return parseSamples(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The sum of the samples named `name` matching `labels` (0 when none), like PromQL's `sum()`. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return findSamples(text, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * The non-zero samples of metric `name`, keyed by the value of their label `label` (e.g. the tokens of a call by
 * type); a label value that occurs on several samples keeps the last one's value.
 *
 * @example
 * nonZeroByLabel(text, 'llm_tokens_total', 'type'); // { input: 12, output: 4 }
 */
export function nonZeroByLabel(text: string, name: string, label: string): Record<string, number> {
  return Object.fromEntries(
    findSamples(text, name)
      .filter((sample) => sample.value !== 0)
      .map((sample) => [sample.labels[label], sample.value]),
  );
}
