import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import {
  callOutcome,
  type InFlightCall,
  type Labels,
  type Meter,
  type Operation,
  type TransportEnding,
} from '@llmeter/core';
import { isRecord, openAiWireFormat, streamUsageToAsk, type WireFormat, wireFormatForPath } from '@llmeter/core/wire';
import type { Logger } from 'pino';
import { logCall } from './call-log.js';
import {
  isObservableEncoding,
  JsonObserver,
  type ObservedBody,
  type ResponseObserver,
  SseObserver,
} from './call-observer.js';
import type { BodyLimits, StreamUsageMode } from './config.js';
import { forwardedRequestHeaders, forwardedResponseHeaders, withHeader } from './forwarded-headers.js';
import { BodyTooLargeError, bodyIsBuffered, discardRequestBody, readRequestBody } from './request-body.js';
import { isRejection, type Route, type Router } from './routing.js';
import { sendProxyError, UpstreamConnectionError, UpstreamTimeoutError } from './upstream-errors.js';
import { UsageChunkFilter, withStreamUsageAsked } from './usage-injection.js';

/** What the pass-through needs. */
export interface PassThroughOptions {
  router: Router;
  meter: Meter;
  streamUsage: StreamUsageMode;
  limits: BodyLimits;
  upstreamTimeoutMs: number;
  /** Label names clients may set with `x-llmeter-label-NAME`. */
  labelHeaders: readonly string[];
  logger: Logger;
}

/**
 * Forwards requests to their upstream, Node stream to Node stream (no Request/Response conversion, no
 * buffering of responses), and measures each call from a copy of what passes.
 */
export class PassThrough {
  readonly options: PassThroughOptions;
  /** Lower-cased header key → label name. */
  readonly allowedLabels: ReadonlyMap<string, string>;
  readonly #agents: Record<'http:' | 'https:', http.Agent> = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  readonly #open = new Set<ServerResponse>();
  #idleWaiters: (() => void)[] = [];

  constructor(options: PassThroughOptions) {
    this.options = options;
    this.allowedLabels = new Map(options.labelHeaders.map((label) => [label.toLowerCase(), label]));
  }

  /** Handles one request that is not one of llmeter's own routes. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    this.#open.add(res);
    res.on('error', () => {});
    const target = req.url ?? '/';
    const route = this.options.router.route(target);
    if (isRejection(route)) {
      this.#refuse(req, res, 'invalid_request_target', route.rejected, wireFormatForPath(target));
      return;
    }
    const format = wireFormatForPath(route.apiPath);
    const operation = format?.operationForPath(route.apiPath) ?? 'other';
    const exchange = new Exchange(this, req, res, route, format, operation, startedAt);
    if (!bodyIsBuffered(req)) {
      exchange.send(undefined);
      return;
    }
    const limit = this.options.limits.requestBodyBytes;
    readRequestBody(req, limit).then(
      (body) => exchange.send(body),
      (error: unknown) => {
        if (error instanceof BodyTooLargeError) this.#refuse(req, res, 'request_too_large', error.message, format);
        else this.release(res);
      },
    );
  }

  /** The agent for an upstream's protocol; keep-alive, so each call does not pay a new connection. */
  agentFor(protocol: string): http.Agent {
    return protocol === 'https:' ? this.#agents['https:'] : this.#agents['http:'];
  }

  /** Requests under way (their response not yet finished). */
  get openRequests(): number {
    return this.#open.size;
  }

  /** Resolves once no request is under way. */
  idle(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Cuts every request still under way (each is recorded as `aborted`). */
  abortAll(): void {
    for (const res of this.#open) res.destroy();
  }

  /** Closes the pooled upstream connections. */
  destroy(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }

  /** @internal A request is done with (its call recorded, if it had one). */
  release(res: ServerResponse): void {
    if (!this.#open.delete(res) || this.#open.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #refuse(
    req: IncomingMessage,
    res: ServerResponse,
    code: 'invalid_request_target' | 'request_too_large',
    message: string,
    format: WireFormat | undefined,
  ): void {
    this.options.logger.warn({ method: req.method, error: code }, `refused: ${message}`);
    res.once('close', () => this.release(res));
    discardRequestBody(req, this.options.limits.requestBodyBytes);
    sendProxyError(res, code, message, format);
  }
}

/** One proxied request: its upstream request, its response, and its call record. */
class Exchange {
  readonly #proxy: PassThrough;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #route: Route;
  readonly #format: WireFormat | undefined;
  readonly #operation: Operation;
  readonly #startedAt: number;
  #call: InFlightCall | undefined;
  #model = '';
  #stream = false;
  #requestBody: unknown;
  #body: Buffer | undefined;
  #headers: string[] = [];
  #labels: Labels | undefined;
  #injected = false;
  #upstreamReq: ClientRequest | undefined;
  #upstreamRes: IncomingMessage | undefined;
  #status: number | undefined;
  #observer: ResponseObserver | undefined;
  /** Set once the upstream went silent for too long (and its request was destroyed with it). */
  #timeout: UpstreamTimeoutError | undefined;
  #finished = false;

  constructor(
    proxy: PassThrough,
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    format: WireFormat | undefined,
    operation: Operation,
    startedAt: number,
  ) {
    this.#proxy = proxy;
    this.#req = req;
    this.#res = res;
    this.#route = route;
    this.#format = format;
    this.#operation = operation;
    this.#startedAt = startedAt;
    res.once('close', () => this.#onClientClose());
  }

  /** Starts the call: reads what the body names, then sends the request upstream. */
  send(body: Buffer | undefined): void {
    if (this.#res.destroyed) {
      this.#proxy.release(this.#res);
      return;
    }
    const { options, allowedLabels } = this.#proxy;
    let sent = body;
    if (body !== undefined && body.length > 0) {
      const parsed = parseJson(body);
      this.#requestBody = parsed;
      // A path no wire format knows goes to the first upstream as it is (images, audio, moderations: OpenAI's
      // API); its body names its model the way both formats do.
      const request = (this.#format ?? openAiWireFormat).readRequest(parsed);
      this.#model = request.model;
      this.#stream = request.stream;
      const option =
        options.streamUsage === 'inject' && this.#format !== undefined
          ? streamUsageToAsk(this.#format, this.#operation, parsed)
          : undefined;
      if (option !== undefined && isRecord(parsed)) {
        sent = withStreamUsageAsked(body, parsed, option);
        this.#injected = true;
      }
    }
    this.#body = sent;
    const forwarded = forwardedRequestHeaders(
      this.#req.rawHeaders,
      this.#route.upstream.url.host,
      allowedLabels,
      sent?.length,
    );
    // The proxy edits an injected stream's bytes, which it can only do uncompressed.
    this.#headers = this.#injected ? withHeader(forwarded.headers, 'accept-encoding', 'identity') : forwarded.headers;
    this.#labels = forwarded.labels;
    this.#call = options.meter.start({
      provider: this.#route.upstream.name,
      operation: this.#operation,
      model: this.#model,
      stream: this.#stream,
      labels: this.#labels,
      startedAt: this.#startedAt,
    });
    this.#request(0);
  }

  #request(attempt: number): void {
    const { url } = this.#route.upstream;
    const transport = url.protocol === 'https:' ? https : http;
    const upstreamReq = transport.request({
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      method: this.#req.method,
      path: this.#route.upstreamPath,
      headers: this.#headers,
      agent: this.#proxy.agentFor(url.protocol),
    });
    this.#upstreamReq = upstreamReq;
    upstreamReq.setTimeout(this.#proxy.options.upstreamTimeoutMs, () => {
      this.#timeout = new UpstreamTimeoutError(`upstream "${this.#route.upstream.name}" went silent`);
      upstreamReq.destroy(this.#timeout);
    });
    upstreamReq.on('response', (upstreamRes) => this.#onResponse(upstreamRes));
    upstreamReq.on('error', (error) => this.#onUpstreamError(error, upstreamReq, attempt));
    if (this.#body !== undefined) upstreamReq.end(this.#body);
    else if (this.#req.readableEnded || !this.#hasStreamedBody()) upstreamReq.end();
    else this.#req.pipe(upstreamReq);
  }

  #hasStreamedBody(): boolean {
    const headers = this.#req.headers;
    return (
      (headers['content-length'] !== undefined && headers['content-length'] !== '0') || !!headers['transfer-encoding']
    );
  }

  #onUpstreamError(error: Error, upstreamReq: ClientRequest, attempt: number): void {
    if (this.#finished || this.#upstreamRes !== undefined) return;
    // A pooled connection the upstream had just closed: the request never reached it, so send it again once.
    const code = (error as NodeJS.ErrnoException).code;
    if (attempt === 0 && upstreamReq.reusedSocket && code === 'ECONNRESET' && this.#body !== undefined) {
      this.#request(1);
      return;
    }
    const name = this.#route.upstream.name;
    if (this.#timeout !== undefined) {
      this.#status = 504;
      sendProxyError(this.#res, 'upstream_timeout', `upstream "${name}" did not answer in time`, this.#format);
      void this.#finish('failed', this.#timeout);
    } else {
      this.#status = 502;
      const message = `upstream "${name}" is unreachable (${code ?? error.message})`;
      sendProxyError(this.#res, 'upstream_unreachable', message, this.#format);
      void this.#finish('failed', new UpstreamConnectionError(message, { cause: error }));
    }
  }

  #onResponse(upstreamRes: IncomingMessage): void {
    this.#upstreamRes = upstreamRes;
    const res = this.#res;
    const status = upstreamRes.statusCode ?? 502;
    this.#status = status;
    const contentType = upstreamRes.headers['content-type']?.toLowerCase() ?? '';
    const encoding = upstreamRes.headers['content-encoding'];
    const isSse = contentType.startsWith('text/event-stream');
    let filter: UsageChunkFilter | undefined;
    const format = this.#format;
    const call = this.#call;
    if (status < 400 && format !== undefined && call !== undefined && isObservableEncoding(encoding)) {
      const observed = {
        format,
        operation: this.#operation,
        model: this.#model,
        requestBody: this.#requestBody,
        call,
      };
      if (isSse && this.#injected && status === 200 && (encoding === undefined || encoding === 'identity')) {
        const accumulator = format.createStreamAccumulator(this.#operation);
        filter = new UsageChunkFilter(accumulator);
        this.#observer = new SseObserver(observed, undefined, accumulator);
      } else if (isSse) {
        this.#observer = new SseObserver(observed, encoding);
      } else if (contentType.includes('json')) {
        this.#observer = new JsonObserver(observed, encoding, this.#proxy.options.limits.responseBodyBytes);
      }
    }
    if (res.destroyed) {
      upstreamRes.destroy();
      return;
    }
    res.writeHead(status, upstreamRes.statusMessage, forwardedResponseHeaders(upstreamRes.rawHeaders, !!filter));
    // A stream's headers go out now: SDKs hand the stream to the caller on them, before the first event.
    if (isSse) res.flushHeaders();

    const observer = this.#observer;
    const resume = (): void => {
      upstreamRes.resume();
    };
    upstreamRes.on('data', (chunk: Buffer) => {
      let flowing: boolean;
      if (filter !== undefined) {
        const filtered = filter.push(chunk);
        if (filtered.bytes.length === 0) return;
        flowing = res.write(filtered.bytes);
        if (filtered.content) call?.markFirstToken(performance.now());
      } else {
        flowing = res.write(chunk);
        observer?.take(chunk, performance.now());
      }
      if (!flowing) {
        upstreamRes.pause();
        res.once('drain', resume);
      }
    });
    upstreamRes.on('end', () => {
      const rest = filter?.end();
      if (rest !== undefined && rest.length > 0) res.write(rest);
      res.end();
      void this.#finish('complete');
    });
    upstreamRes.on('error', () => {});
    upstreamRes.on('close', () => {
      if (upstreamRes.complete || this.#finished) return;
      // The upstream cut the body short: so does the client's copy, rather than ending it as if it were whole.
      res.destroy();
      void this.#finish('failed', this.#timeout);
    });
  }

  #onClientClose(): void {
    if (this.#res.writableFinished || this.#finished) {
      if (!this.#call) this.#proxy.release(this.#res);
      return;
    }
    // The client went away: cancel the upstream call, which is recorded as aborted.
    this.#upstreamReq?.destroy();
    this.#upstreamRes?.destroy();
    if (this.#call) void this.#finish('aborted');
    else this.#proxy.release(this.#res);
  }

  /**
   * Records the call, once, however it ended: what the transport did, the upstream's status, and what the
   * body said go to core's `callOutcome`, which decides (the same way as for the SDK).
   */
  async #finish(transport: TransportEnding, error?: Error): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const call = this.#call;
    if (call === undefined) {
      this.#proxy.release(this.#res);
      return;
    }
    const endedAt = performance.now();
    let observed: ObservedBody = {};
    try {
      if (this.#observer !== undefined) observed = await this.#observer.finish(transport);
    } catch {
      // A copy that cannot be read leaves the call counted, without usage.
    }
    const status = this.#status;
    const { logger } = this.#proxy.options;
    const onError = (failure: unknown): void => logger.warn({ err: failure }, 'a measurement failed and was skipped');
    const outcome = callOutcome({
      transport,
      status: this.#upstreamRes?.statusCode,
      error,
      ...observed,
      endedAt,
      onError,
    });
    call.end(outcome);
    logCall(logger, {
      upstream: this.#route.upstream.name,
      method: this.#req.method ?? 'GET',
      path: this.#route.apiPath,
      model: this.#model,
      operation: this.#operation,
      stream: this.#stream,
      status,
      errorType: outcome.errorType,
      startedAt: this.#startedAt,
      firstTokenAt: call.firstTokenAt,
      outcome,
      labels: this.#labels,
    });
    this.#proxy.release(this.#res);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // A body that is not JSON is still forwarded; the call is counted with model `unknown`.
    return undefined;
  }
}
