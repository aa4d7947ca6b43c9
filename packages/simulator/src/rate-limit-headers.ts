/**
 * Rate-limit headers as OpenAI and Anthropic send them, from a simple model: a fixed window per provider and
 * model, opened by its first request, that each answered request draws from (one request, and the reply's
 * input and output tokens). The simulator reports what is left; it does not refuse calls past the limit.
 */

/** The limits of one window. Anthropic's `tokens` limit is its input and output limits together. */
export interface SimulatedRateLimits {
  /** Requests per window. */
  requests: number;
  /** OpenAI: tokens (input + output) per window. */
  tokens: number;
  /** Anthropic: input tokens per window. */
  inputTokens: number;
  /** Anthropic: output tokens per window. */
  outputTokens: number;
  /** The window's length in milliseconds. Default 60,000: limits are per minute. */
  windowMs?: number;
}

/**
 * Per-minute limits of a high usage tier (OpenAI's tier 5 for gpt-4o: 10,000 requests, 30 M tokens; Anthropic's
 * tier 4: 4,000 requests, 2 M input and 400 k output tokens): realistic, and far enough from any test's traffic
 * that nothing runs short unless a test asks for lower ones.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<'openai' | 'anthropic', SimulatedRateLimits>> = {
  openai: { requests: 10_000, tokens: 30_000_000, inputTokens: 30_000_000, outputTokens: 30_000_000 },
  anthropic: { requests: 4_000, tokens: 2_400_000, inputTokens: 2_000_000, outputTokens: 400_000 },
};

interface Window {
  endsAt: number;
  requests: number;
  input: number;
  output: number;
}

/** What one request draws from its window. */
export interface RateLimitCharge {
  input: number;
  output: number;
}

/** The windows of one simulator, by provider and model. */
export class RateLimitWindows {
  readonly #windows = new Map<string, Window>();
  readonly #limits: Readonly<Record<'openai' | 'anthropic', SimulatedRateLimits>>;

  constructor(limits: Partial<Record<'openai' | 'anthropic', SimulatedRateLimits>> = {}) {
    this.#limits = { ...DEFAULT_RATE_LIMITS, ...limits };
  }

  /**
   * Draws `charge` (none for a refused request) from the window of `provider` and `model`, and returns the
   * headers that report what is left. `now` is epoch milliseconds.
   */
  headers(
    provider: 'openai' | 'anthropic',
    model: string,
    charge: RateLimitCharge | undefined,
    now: number = Date.now(),
  ): Record<string, string> {
    const limits = this.#limits[provider];
    const key = `${provider}\u0000${model}`;
    let window = this.#windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      // Whole seconds, as Anthropic's reset instants are.
      window = {
        endsAt: Math.ceil((now + (limits.windowMs ?? 60_000)) / 1000) * 1000,
        requests: 0,
        input: 0,
        output: 0,
      };
      this.#windows.set(key, window);
    }
    if (charge !== undefined) {
      window.requests++;
      window.input += charge.input;
      window.output += charge.output;
    }
    const resetMs = window.endsAt - now;
    const tokensUsed = window.input + window.output;
    if (provider === 'openai') {
      const reset = goDuration(resetMs);
      const name = (kind: string) => (part: LimitPart) => `x-ratelimit-${part}-${kind}`;
      return Object.fromEntries([
        ...limitEntries(name('requests'), limits.requests, window.requests, reset),
        ...limitEntries(name('tokens'), limits.tokens, tokensUsed, reset),
      ]);
    }
    const reset = new Date(window.endsAt).toISOString().replace('.000Z', 'Z');
    const name = (kind: string) => (part: LimitPart) => `anthropic-ratelimit-${kind}-${part}`;
    return Object.fromEntries([
      ...limitEntries(name('requests'), limits.requests, window.requests, reset),
      ...limitEntries(name('tokens'), limits.tokens, tokensUsed, reset),
      ...limitEntries(name('input-tokens'), limits.inputTokens, window.input, reset),
      ...limitEntries(name('output-tokens'), limits.outputTokens, window.output, reset),
    ]);
  }

  /** Whole seconds until the window of `provider` and `model` resets: a 429's `retry-after`. */
  retryAfter(provider: 'openai' | 'anthropic', model: string, now: number = Date.now()): string {
    const window = this.#windows.get(`${provider}\u0000${model}`);
    return String(window === undefined ? 1 : Math.max(1, Math.ceil((window.endsAt - now) / 1000)));
  }
}

type LimitPart = 'limit' | 'remaining' | 'reset';

/** One limit's three headers, named by `name`: its size, what is left of it (never below 0), when it resets. */
function limitEntries(
  name: (part: LimitPart) => string,
  limit: number,
  used: number,
  reset: string,
): [string, string][] {
  return [
    [name('limit'), String(limit)],
    [name('remaining'), String(Math.max(0, limit - used))],
    [name('reset'), reset],
  ];
}

/** A duration as Go prints it, as OpenAI sends resets: `6m0s`, `59.5s`, `120ms`, `1h2m3s`. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.round(ms % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
