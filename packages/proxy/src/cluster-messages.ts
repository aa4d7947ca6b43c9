import type { MetricObjectWithValues, MetricValue } from 'prom-client';

// The IPC messages between the primary of `llmeter proxy --workers N` and its workers. Every type starts with
// `llmeter:` so that they never collide with prom-client's own cluster messages or an embedding program's.

/** A registry's metrics as `registry.getMetricsAsJSON()` gives them: what crosses the IPC channel. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Worker → primary: send me the sum of every worker's metrics. */
export interface AggregateRequest {
  readonly type: 'llmeter:aggregate-request';
  readonly id: number;
}

/** Primary → worker: the sum asked for (or why it could not be made). */
export interface AggregateResponse {
  readonly type: 'llmeter:aggregate-response';
  readonly id: number;
  readonly metrics?: MetricsJson;
  readonly error?: string;
}

/** Primary → every worker: send me your own metrics. */
export interface LocalRequest {
  readonly type: 'llmeter:local-request';
  readonly id: number;
}

/** Worker → primary: this worker's own metrics. */
export interface LocalResponse {
  readonly type: 'llmeter:local-response';
  readonly id: number;
  readonly metrics?: MetricsJson;
  readonly error?: string;
}

/** Primary → worker: stop taking calls, finish those in flight (within the shutdown budget), then exit 0. */
export interface DrainRequest {
  readonly type: 'llmeter:drain';
}

export type ClusterMessage = AggregateRequest | AggregateResponse | LocalRequest | LocalResponse | DrainRequest;

/** Whether an IPC message is one of llmeter's, of the given type. */
export function isMessage<T extends ClusterMessage['type']>(
  message: unknown,
  type: T,
): message is Extract<ClusterMessage, { type: T }> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
