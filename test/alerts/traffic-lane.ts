import { type ScriptedReply, SIMULATOR_REPLY_HEADER } from '@llmeter/simulator';

/** One chat-completions call a lane sends through the proxy, and how the simulator answers it. */
export interface LaneCall {
  model: string;
  stream: boolean;
  reply: ScriptedReply;
  /** Label headers (`x-llmeter-label-NAME`), for the proxy's `labelHeaders`. */
  labels?: Readonly<Record<string, string>>;
  /** How long the call may take, in milliseconds. Default 30,000. */
  timeoutMs?: number;
}

/** What a lane's calls came back with. */
export interface LaneCounts {
  /** Calls sent. */
  sent: number;
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Calls that got no HTTP answer at all (the proxy or simulator failed), with the reason. */
  transportErrors: string[];
}

/**
 * A steady stream of calls through the proxy: one every `intervalMs`, each started without waiting for the
 * previous one (slow streams overlap, as real traffic does), the reply scripted per call through the simulator's
 * `x-simulator-reply` header. The `plan` can be swapped while it runs, to change what the traffic looks like.
 */
export class TrafficLane {
  readonly counts: LaneCounts = { sent: 0, statuses: {}, transportErrors: [] };
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private index = 0;

  constructor(
    private readonly proxyUrl: string,
    private readonly intervalMs: number,
    private plan: (index: number) => LaneCall,
  ) {}

  /** Sends the first call now, then one every interval. */
  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    return this;
  }

  /** From the next call on, calls follow `plan` (its index keeps counting). */
  replan(plan: (index: number) => LaneCall): void {
    this.plan = plan;
  }

  /** Stops sending and waits for the calls in flight (each is bounded by its own timeout). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
  }

  private tick(): void {
    const call = this.plan(this.index++);
    const pending = this.send(call).finally(() => this.inFlight.delete(pending));
    this.inFlight.add(pending);
  }

  private async send(call: LaneCall): Promise<void> {
    this.counts.sent++;
    try {
      const status = await sendCall(this.proxyUrl, call);
      this.counts.statuses[status] = (this.counts.statuses[status] ?? 0) + 1;
    } catch (error) {
      this.counts.transportErrors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

/**
 * Sends one chat-completions call through the proxy at `proxyUrl` and reads the answer to its end (the proxy
 * records a stream when it ends). Resolves with the HTTP status; rejects when no answer came within the call's
 * `timeoutMs`.
 */
export async function sendCall(proxyUrl: string, call: LaneCall): Promise<number> {
  const response = await fetch(`${proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIMULATOR_REPLY_HEADER]: JSON.stringify(call.reply),
      ...Object.fromEntries(
        Object.entries(call.labels ?? {}).map(([name, value]) => [`x-llmeter-label-${name}`, value]),
      ),
    },
    body: JSON.stringify({
      model: call.model,
      stream: call.stream,
      messages: [{ role: 'user', content: 'Say hello.' }],
    }),
    signal: AbortSignal.timeout(call.timeoutMs ?? 30_000),
  });
  await response.arrayBuffer();
  return response.status;
}
