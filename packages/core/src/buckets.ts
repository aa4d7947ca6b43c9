/** Histogram bucket bounds, in seconds. */
export interface Buckets {
  /** `*_request_duration_seconds`. */
  duration: readonly number[];
  /** `*_time_to_first_token_seconds`. */
  timeToFirstToken: readonly number[];
  /** `*_time_per_output_token_seconds`. */
  timePerOutputToken: readonly number[];
}

/**
 * The defaults: OpenTelemetry's GenAI semantic-convention buckets for duration
 * (`gen_ai.client.operation.duration`, doubling from 10 ms) and time to first token
 * (`gen_ai.server.time_to_first_token`), and its `gen_ai.server.time_per_output_token` buckets, so that
 * dashboards built for either read the same boundaries.
 */
export const DEFAULT_BUCKETS: Buckets = {
  duration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timeToFirstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  timePerOutputToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
};
