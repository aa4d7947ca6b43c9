import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';

/** A counter's or gauge's sample as prom-client keeps it (`metric.hashMap`). */
interface ValueEntry {
  value: number;
  labels: Readonly<Record<string, unknown>>;
}

/** A histogram series as prom-client keeps it: per-bucket (not cumulative) counts keyed by upper bound. */
interface HistogramEntry {
  labels: Readonly<Record<string, unknown>>;
  bucketValues: Readonly<Record<string, number>>;
  sum: number;
  count: number;
}

/** prom-client's fields read here: not in its typings, but what its own `get()` reads (15.x). */
interface MetricInternals {
  name: string;
  help: string;
  type?: string;
  hashMap?: Record<string, unknown>;
  collect?: () => unknown;
  enableExemplars?: boolean;
  upperBounds?: readonly number[];
}

/** A label set's formatted text, and the names and values it was made from, in their order. */
interface LabelText {
  names: string[];
  values: unknown[];
  text: string;
}

/**
 * Consecutive series of a metric, encoded: reused while every one of its series has the same labels and values.
 * For a counter or gauge `values` are the samples' values; for a histogram, the series' counts and sums, and
 * `entries` prom-client's objects (new after a reset).
 */
interface Block {
  labels: string[];
  values: number[];
  entries: unknown[];
  bytes: Buffer;
}

/** What the renderer keeps of one metric between scrapes. */
interface MetricCache {
  /** Label texts by prom-client's key of the series (rebuilt each render: only present series are kept). */
  labels: Map<string, LabelText>;
  blocks: Block[];
  head: string;
  headBytes: Buffer;
}

/** The methods whose reading this renderer replaces: a metric that overrides them is left to prom-client. */
interface Readers {
  get?: unknown;
  getForPromString?: unknown;
}

const counterGet = (Counter.prototype as Readers).get;
const gaugeGet = (Gauge.prototype as Readers).get;
const histogramGet = (Histogram.prototype as Readers).getForPromString;

/** Series per block: a change re-renders its block only (some 8 kB of a counter, 130 kB of a histogram). */
const BLOCK_SERIES = 64;
const BETWEEN_METRICS = Buffer.from('\n\n');
const END = Buffer.from('\n');

/**
 * Renders a prom-client registry as the Prometheus text format, byte for byte what `registry.metrics()` gives,
 * at a fraction of its cost on large metrics.
 *
 * prom-client builds an object per sample (per histogram bucket, with a label object of its own), then formats
 * and escapes every label of every sample on every scrape, and the text is encoded to bytes again on every
 * scrape. This renderer reads counters, gauges and histograms from the same per-series state prom-client's
 * `get()` reads (its `hashMap`, after the same `collect()` hook), and keeps, per metric:
 * - each series' formatted labels, reused while its label names and values are the same (checked, not assumed:
 *   a counter written anew on each collect gets new label objects with the same labels);
 * - its series in encoded blocks of 64, a block reused while its series' labels and values are the same: a
 *   scrape encodes only the blocks that changed since the last one.
 *
 * Anything else (summaries, metrics with their own `get()`, exemplars, a registry with default labels, the
 * OpenMetrics format, a prom-client whose internals differ) is rendered by prom-client itself.
 *
 * The buffers returned are the renderer's own and reused by later renders: write them, do not change them.
 *
 * @example
 * ```ts
 * import { PrometheusTextRenderer } from '@llmeter/core';
 * import { register } from 'prom-client';
 * const renderer = new PrometheusTextRenderer(register);
 * const text = await renderer.render(); // === await register.metrics()
 * response.end(Buffer.concat(await renderer.renderBuffers())); // the same, as bytes
 * ```
 */
export class PrometheusTextRenderer {
  private readonly caches = new WeakMap<object, MetricCache>();

  constructor(private readonly registry: Registry<RegistryContentType>) {}

  /** The whole exposition, as `registry.metrics()` gives it. */
  async render(): Promise<string> {
    if (this.registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return this.registry.metrics();
    return Buffer.concat(await this.renderBuffers()).toString('utf8');
  }

  /** The whole exposition as UTF-8 bytes, in pieces: the bytes of `registry.metrics()`. */
  async renderBuffers(): Promise<Buffer[]> {
    if (this.registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
      return [Buffer.from(await this.registry.metrics())];
    }
    const buffers: Buffer[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      if (buffers.length > 0) buffers.push(BETWEEN_METRICS);
      buffers.push(...(await this.renderMetricBuffers(metric)));
    }
    buffers.push(END);
    return buffers;
  }

  /** One metric of the registry, as `registry.getSingleMetricAsString(metric.name)` gives it. */
  async renderMetric(metric: object): Promise<string> {
    return Buffer.concat(await this.renderMetricBuffers(metric)).toString('utf8');
  }

  /** One metric of the registry as UTF-8 bytes, in pieces: those of {@link PrometheusTextRenderer.renderMetric}. */
  async renderMetricBuffers(metric: object): Promise<Buffer[]> {
    const internals = metric as MetricInternals;
    if (!this.renderable(metric, internals)) return [await this.byPromClient(internals.name)];
    if (internals.collect) {
      const collected = internals.collect();
      if (collected instanceof Promise) await collected;
    }
    // Read after collect(), which may replace it (a reset).
    const hashMap = internals.hashMap;
    if (hashMap === undefined) return [await this.byPromClient(internals.name)];
    let cache = this.caches.get(metric);
    if (cache === undefined) {
      cache = { labels: new Map(), blocks: [], head: '', headBytes: END };
      this.caches.set(metric, cache);
    }
    const name = escapeText(internals.name);
    const head = `# HELP ${name} ${escapeText(internals.help)}\n# TYPE ${name} ${internals.type}`;
    if (head !== cache.head) {
      cache.head = head;
      cache.headBytes = Buffer.from(head);
      cache.blocks = [];
    }
    return metric instanceof Histogram
      ? histogramBuffers(cache, internals.upperBounds ?? [], name, hashMap as Record<string, HistogramEntry>)
      : valueBuffers(cache, name, hashMap as Record<string, ValueEntry>);
  }

  private async byPromClient(name: string): Promise<Buffer> {
    return Buffer.from(await this.registry.getSingleMetricAsString(name));
  }

  private renderable(metric: object, internals: MetricInternals): boolean {
    if (internals.enableExemplars) return false;
    const defaults = (this.registry as unknown as { _defaultLabels?: object })._defaultLabels;
    if (defaults === undefined || Object.keys(defaults).length > 0) return false;
    if (metric instanceof Histogram) {
      return (metric as Readers).getForPromString === histogramGet && Array.isArray(internals.upperBounds);
    }
    if (metric instanceof Counter) return (metric as Readers).get === counterGet;
    if (metric instanceof Gauge) return (metric as Readers).get === gaugeGet;
    return false;
  }
}

/** A counter's or gauge's lines, in prom-client's order: Object.values(hashMap), the order of its keys. */
function valueBuffers(cache: MetricCache, name: string, hashMap: Record<string, ValueEntry>): Buffer[] {
  const known = cache.labels;
  const labels = new Map<string, LabelText>();
  const blocks: Block[] = [];
  let texts: string[] = [];
  let values: number[] = [];
  const close = (): void => {
    const previous = cache.blocks[blocks.length];
    if (previous !== undefined && sameStrings(texts, previous.labels) && sameNumbers(values, previous.values)) {
      blocks.push(previous);
    } else {
      const parts: string[] = [];
      for (let i = 0; i < texts.length; i++) {
        const formatted = texts[i] as string;
        const value = valueText(values[i] as number);
        parts.push(formatted === '' ? `\n${name} ${value}` : `\n${name}{${formatted}} ${value}`);
      }
      blocks.push({ labels: texts, values, entries: [], bytes: Buffer.from(parts.join('')) });
    }
    texts = [];
    values = [];
  };
  for (const key in hashMap) {
    const entry = hashMap[key] as ValueEntry;
    const label = labelText(known.get(key), entry.labels);
    labels.set(key, label);
    texts.push(label.text);
    values.push(entry.value);
    if (texts.length === BLOCK_SERIES) close();
  }
  if (texts.length > 0) close();
  cache.labels = labels;
  cache.blocks = blocks;
  return [cache.headBytes, ...blocks.map((block) => block.bytes)];
}

/** A histogram's series, each its buckets, `+Inf`, `_sum` and `_count`, in prom-client's order. */
function histogramBuffers(
  cache: MetricCache,
  bounds: readonly number[],
  name: string,
  hashMap: Record<string, HistogramEntry>,
): Buffer[] {
  const known = cache.labels;
  const labels = new Map<string, LabelText>();
  const blocks: Block[] = [];
  let texts: string[] = [];
  let values: number[] = [];
  let entries: HistogramEntry[] = [];
  const close = (): void => {
    const previous = cache.blocks[blocks.length];
    if (
      previous !== undefined &&
      sameStrings(texts, previous.labels) &&
      sameNumbers(values, previous.values) &&
      sameObjects(entries, previous.entries)
    ) {
      blocks.push(previous);
    } else {
      const parts: string[] = [];
      for (let i = 0; i < entries.length; i++) {
        histogramSeries(parts, name, bounds, texts[i] as string, entries[i] as HistogramEntry);
      }
      blocks.push({ labels: texts, values, entries, bytes: Buffer.from(parts.join('')) });
    }
    texts = [];
    values = [];
    entries = [];
  };
  for (const key in hashMap) {
    const entry = hashMap[key] as HistogramEntry;
    const label = labelText(known.get(key), entry.labels);
    labels.set(key, label);
    texts.push(label.text);
    // An observation changes the count; the buckets change only with it (or with a new entry, after a reset).
    values.push(entry.count, entry.sum);
    entries.push(entry);
    if (entries.length === BLOCK_SERIES) close();
  }
  if (entries.length > 0) close();
  cache.labels = labels;
  cache.blocks = blocks;
  return [cache.headBytes, ...blocks.map((block) => block.bytes)];
}

/** Appends one histogram series' lines to `parts`, each after a newline. */
function histogramSeries(
  parts: string[],
  name: string,
  bounds: readonly number[],
  shared: string,
  entry: HistogramEntry,
): void {
  const after = shared === '' ? '' : `,${shared}`;
  const braces = shared === '' ? '' : `{${shared}}`;
  let cumulative = 0;
  for (const bound of bounds) {
    cumulative += entry.bucketValues[bound] as number;
    parts.push(`\n${name}_bucket{le="${bound}"${after}} ${valueText(cumulative)}`);
  }
  parts.push(`\n${name}_bucket{le="+Inf"${after}} ${valueText(entry.count)}`);
  parts.push(`\n${name}_sum${braces} ${valueText(entry.sum)}`);
  parts.push(`\n${name}_count${braces} ${valueText(entry.count)}`);
}

/**
 * `name="value",…` in the label object's own order, values escaped ('' for no labels); `known` when it was made
 * of the same names and values in the same order.
 */
function labelText(known: LabelText | undefined, labels: Readonly<Record<string, unknown>>): LabelText {
  if (known !== undefined) {
    let index = 0;
    let same = true;
    for (const label in labels) {
      if (known.names[index] !== label || known.values[index] !== labels[label]) {
        same = false;
        break;
      }
      index++;
    }
    if (same && index === known.names.length) return known;
  }
  const names: string[] = [];
  const values: unknown[] = [];
  const formatted: string[] = [];
  for (const [label, value] of Object.entries(labels)) {
    names.push(label);
    values.push(value);
    formatted.push(`${label}="${typeof value === 'string' ? escapeLabelValue(value) : String(value)}"`);
  }
  return { names, values, text: formatted.join(',') };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameObjects(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const NEEDS_ESCAPE = /[\\\n"]/;

// prom-client's escaping: backslash and newline in names and help; also the double quote in label values.
function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeText(value).replace(/"/g, '\\"') : value;
}

// As prom-client writes a sample's value (it spells NaN `Nan`; Prometheus reads numbers case-insensitively).
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}
