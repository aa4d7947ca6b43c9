import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Readable, Transform } from 'node:stream';
import {
  callOutcome,
  type InFlightCall,
  type Labels,
  type Meter,
  type Operation,
  type ResponseLedger,
  responseLedgerFor,
  type TransportEnding,
} from '@llmeter/core';
import {
  isRecord,
  openAiWireFormat,
  type ResponseState,
  responseIdOfPath,
  streamUsageToAsk,
  type WireFormat,
  wireFormatForPath,
} from '@llmeter/core/wire';
import type { Logger } from 'pino';
import { logCall } from './call-log.js';
import {
  isObservableEncoding,
  JsonObserver,
  type ObservedBody,
  type ObservedCall,
  type ResponseObserver,
  SseObserver,
  type StreamFraming,
} from './call-observer.js';
import type { BodyLimits, StreamUsageMode, Upstream } from './config.js';
import { ContentChunkLane } from './content-chunk-lane.js';
import { contentDecoder, isEncoded } from './content-decoding.js';
import {
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  hasRateLimitHeaders,
  withHeader,
} from './forwarded-headers.js';
import { KEY_ID_LABEL } from './key-id.js';
import { type OpenRequest, OpenRequests } from './open-requests.js';
import { BodyTooLargeError, bodyIsBuffered, discardRequestBody, readRequestBodyThen } from './request-body.js';
import { isRejection, type Route, type Router } from './routing.js';
import {
  sendProxyError,
  UpstreamConnectionError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from './upstream-errors.js';
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
  /**
   * Where call lines go as text when `logger` writes pino's default format to it (the proxy's own logger):
   * they are then built by hand rather than by pino (see call-log.ts). Undefined: through `logger`.
   */
  writeCallLine?: ((line: string) => void) | undefined;
  /** The `key_id` label of a request (see key-id.ts); none when undefined. */
  keyId?: ((rawHeaders: readonly string[], target: string) => string | undefined) | undefined;
}

/**
 * How long a pooled upstream connection may sit idle before the proxy closes it: below the keep-alive timeout
 * of the servers in front of model APIs, so that the proxy, not the upstream, closes an idle connection, and a
 * request is never sent on a connection the upstream is closing at that moment (which would fail it: the
 * proxy does not send a request twice). Node's and uvicorn's servers close idle connections after 5 s (the
 * shortest common default; nginx waits 60 s upstream and 75 s for clients, load balancers 60 s or more). An
 * upstream that announces a shorter one (`Keep-Alive: timeout=N`) is honoured: Node's agent then waits N - 1 s.
 */
export const UPSTREAM_IDLE_SOCKET_MS = 4000;

/**
 * Forwards requests to their upstream, Node stream to Node stream (no Request/Response conversion, no
 * buffering of responses), and measures each call from a copy of what passes.
 */
export class PassThrough {
  readonly options: PassThroughOptions;
  /** Lower-cased header key → label name. */
  readonly allowedLabels: ReadonlyMap<string, string>;
  readonly #agents: Record<'http:' | 'https:', http.Agent> = {
    'http:': new http.Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_SOCKET_MS }),
  };
  /** Requests under way, with their exchange once their call started. */
  readonly #open = new OpenRequests<Exchange>();
  /** Each configured upstream's request target (a handful: one per upstream). */
  readonly #targets = new Map<Upstream, UpstreamTarget>();
  /** What each recent API path names (its wire format, operation): the same few paths come again and again. */
  readonly #pathFactsOf = new Map<string, PathFacts>();
  /** Upstreams that refused a request for the `stream_options` the proxy added: later calls go without it. */
  readonly #refusesStreamUsage = new Set<string>();
  #idleWaiters: (() => void)[] = [];
  /** The meter's ledger of OpenAI responses (one per registry). */
  readonly ledger: ResponseLedger;
  /** @internal Tells the logger about a measurement that failed (one function for every call). */
  readonly reportMeasurementError = (failure: unknown): void => {
    this.options.logger.warn({ err: failure }, 'a measurement failed and was skipped');
  };

  constructor(options: PassThroughOptions) {
    this.options = options;
    this.ledger = responseLedgerFor(options.meter.registry);
    this.allowedLabels = new Map(options.labelHeaders.map((label) => [label.toLowerCase(), label]));
  }

  /** Handles one request that is not one of llmeter's own routes. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const open = this.#open.add(res);
    res.on('error', ignoreError);
    const target = req.url ?? '/';
    const route = this.options.router.route(target);
    if (isRejection(route)) {
      this.#refuse(req, open, 'invalid_request_target', route.rejected, wireFormatForPath(target));
      return;
    }
    const { format, operation: pathOperation, responseId: pathResponseId } = this.#pathFacts(route.apiPath);
    let operation = pathOperation;
    // A response's own path (poll, resume, cancel) names the response whose usage it may carry; deleting one
    // (or any other method there) is no model call.
    let responseId = pathResponseId;
    if (responseId !== undefined && req.method !== 'GET' && req.method !== 'POST') {
      operation = 'other';
      responseId = undefined;
    }
    const exchange = new Exchange(this, req, open, route, format, operation, startedAt, responseId);
    open.handler = exchange;
    if (!bodyIsBuffered(req, format?.requestBodyIsJson === true)) {
      sendGuarded(exchange, undefined);
      return;
    }
    const limit = this.options.limits.requestBodyBytes;
    readRequestBodyThen(
      req,
      limit,
      (body) => sendGuarded(exchange, body),
      (error) => {
        if (error instanceof BodyTooLargeError) this.#refuse(req, open, 'request_too_large', error.message, format);
        else this.release(open);
      },
    );
  }

  /**
   * For a request that waits for `100 Continue` before its body: refuses it at once (413, and the connection
   * closed after it) when it declares a body the proxy reads whole that is over the limit, so that the client
   * never sends it. Returns whether it did; otherwise the caller sends `100 Continue` and {@link handle}s it.
   */
  refuseBeforeBody(req: IncomingMessage, res: ServerResponse): boolean {
    const limit = this.options.limits.requestBodyBytes;
    if (!bodyIsBuffered(req) || !(Number(req.headers['content-length']) > limit)) return false;
    const open = this.#open.add(res);
    res.on('error', ignoreError);
    const target = req.url ?? '/';
    const route = this.options.router.route(target);
    const format = wireFormatForPath(isRejection(route) ? target : route.apiPath);
    this.#refuse(req, open, 'request_too_large', new BodyTooLargeError(limit).message, format, true);
    return true;
  }

  /** The agent for an upstream's protocol; keep-alive, so each call does not pay a new connection. */
  agentFor(protocol: string): http.Agent {
    return protocol === 'https:' ? this.#agents['https:'] : this.#agents['http:'];
  }

  /** @internal Where requests to `upstream` go, read from its URL once. */
  targetOf(upstream: Upstream): UpstreamTarget {
    let target = this.#targets.get(upstream);
    if (target === undefined) {
      const { url } = upstream;
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      target = {
        transport: url.protocol === 'https:' ? https : http,
        protocol: url.protocol,
        hostname,
        // What Node's agent would work out for every request otherwise (from the Host header, which names the
        // upstream's host): the name for TLS's SNI, none for an IP address.
        servername: isIP(hostname) === 0 ? hostname : '',
        port: url.port === '' ? undefined : Number(url.port),
        agent: this.agentFor(url.protocol),
      };
      this.#targets.set(upstream, target);
    }
    return target;
  }

  /** Whether upstream `name` refused the stream usage option the proxy asks for (so it is no longer asked). */
  refusesStreamUsage(name: string): boolean {
    return this.#refusesStreamUsage.has(name);
  }

  /** @internal Upstream `name` answered 400 to the stream usage option: it is not asked again. */
  markRefusesStreamUsage(name: string): void {
    this.#refusesStreamUsage.add(name);
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

  /**
   * Cuts every request still under way: each call is recorded (and logged) as `aborted` first, then its
   * connections are closed. {@link PassThrough.idle} resolves once every record is written.
   */
  abortAll(): void {
    for (const { res, handler } of this.#open.snapshot()) {
      if (handler === undefined) res.destroy();
      else handler.abort();
    }
  }

  /** Closes the pooled upstream connections. */
  destroy(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }

  /** @internal A request is done with (its call recorded, if it had one). */
  release(open: OpenRequest<Exchange>): void {
    if (!this.#open.remove(open) || this.#open.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The wire format, operation and response id an API path names; remembered for short paths without an id. */
  #pathFacts(apiPath: string): PathFacts {
    const known = this.#pathFactsOf.get(apiPath);
    if (known !== undefined) return known;
    const format = wireFormatForPath(apiPath);
    const facts: PathFacts = {
      format,
      operation: format?.operationForPath(apiPath) ?? 'other',
      responseId: format === openAiWireFormat ? responseIdOfPath(apiPath) : undefined,
    };
    // A path naming a response is seen a few times at most; long ones are not worth the memory.
    if (facts.responseId === undefined && apiPath.length <= REMEMBERED_PATH_CHARS) {
      if (this.#pathFactsOf.size >= REMEMBERED_PATHS) this.#pathFactsOf.clear();
      this.#pathFactsOf.set(apiPath, facts);
    }
    return facts;
  }

  #refuse(
    req: IncomingMessage,
    open: OpenRequest<Exchange>,
    code: 'invalid_request_target' | 'request_too_large',
    message: string,
    format: WireFormat | undefined,
    bodyUnsent = false,
  ): void {
    this.options.logger.warn({ method: req.method, error: code }, `refused: ${message}`);
    this.options.meter.refused(code);
    const { res } = open;
    res.once('close', () => this.release(open));
    // A body the client has not sent (it waits for 100 Continue) is not waited for: the connection closes.
    if (!bodyUnsent) discardRequestBody(req, this.options.limits.requestBodyBytes);
    sendProxyError(res, code, message, format, bodyUnsent);
  }
}

/** What a stream's observer is made from (see `Exchange.#observerNow`). */
interface PlannedObserver {
  observed: ObservedCall;
  encoding: string | undefined;
  framing: StreamFraming;
  /** An injected stream's usage filter, which feeds the accumulator the observer reads. */
  filter: UsageChunkFilter | undefined;
}

/** Where requests to one upstream go: the parts of its URL `http.request` takes, and its agent. */
interface UpstreamTarget {
  transport: typeof http | typeof https;
  protocol: string;
  /** Without an IPv6 address's brackets. */
  hostname: string;
  /** The server name TLS sends (SNI): the hostname, or empty for an IP address. */
  servername: string;
  port: number | undefined;
  agent: http.Agent;
}

/** What an API path names, whatever the request. */
interface PathFacts {
  format: WireFormat | undefined;
  operation: Operation;
  /** The OpenAI response a poll, resume or cancel path names. */
  responseId: string | undefined;
}

/** How many API paths' facts are remembered (then forgotten all at once), and the longest path remembered. */
const REMEMBERED_PATHS = 256;
const REMEMBERED_PATH_CHARS = 512;

/** One proxied request: its upstream request, its response, and its call record. */
class Exchange {
  readonly #proxy: PassThrough;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  /** This request's place among those under way. */
  readonly #open: OpenRequest<Exchange>;
  readonly #route: Route;
  readonly #format: WireFormat | undefined;
  readonly #operation: Operation;
  readonly #startedAt: number;
  /** The OpenAI response a poll, resume or cancel names; its usage is counted once ({@link ResponseLedger}). */
  readonly #responseId: string | undefined;
  #call: InFlightCall | undefined;
  #model = '';
  #stream = false;
  #requestBody: unknown;
  #body: Buffer | undefined;
  #headers: string[] = [];
  #labels: Labels | undefined;
  #injected = false;
  /** Milliseconds {@link Exchange.send} took: the request half of `*_proxy_overhead_seconds`. */
  #requestOverheadMs = 0;
  /** The body as the client sent it, kept while an injected request may still be sent again without the option. */
  #clientBody: Buffer | undefined;
  /** The request was sent again without the injected option (at most once). */
  #resent = false;
  #upstreamReq: ClientRequest | undefined;
  #upstreamRes: IncomingMessage | undefined;
  /** Decodes a compressed stream the proxy must edit (its usage chunk taken out). */
  #decoder: Transform | undefined;
  /** The status the client got: the upstream's, or the proxy's own (502, 504). */
  #status: number | undefined;
  /** The status the call is recorded with: the upstream's, or 502 for a response that could not be passed on. */
  #recordedStatus: number | undefined;
  /** A stream's observer, to be made once its first bytes were written (see {@link Exchange.#observerNow}). */
  #planned: PlannedObserver | undefined;
  #observer: ResponseObserver | undefined;
  /** The proxy's own time on a stream's call (request and response halves), recorded after its first bytes. */
  #overheadSeconds = 0;
  /** Set once the upstream went silent for too long (and its request was destroyed with it). */
  #timeout: UpstreamTimeoutError | undefined;
  #finished = false;
  /** Body bytes were written to the client (its headers went out with the first of them). */
  #bodyWritten = false;
  /** Reads the chunks last written to the client, when the observer has not read them yet (see #forwardBody). */
  #readUnread: (() => void) | undefined;

  constructor(
    proxy: PassThrough,
    req: IncomingMessage,
    open: OpenRequest<Exchange>,
    route: Route,
    format: WireFormat | undefined,
    operation: Operation,
    startedAt: number,
    responseId: string | undefined,
  ) {
    this.#proxy = proxy;
    this.#responseId = responseId;
    this.#req = req;
    const { res } = open;
    this.#res = res;
    this.#open = open;
    this.#route = route;
    this.#format = format;
    this.#operation = operation;
    this.#startedAt = startedAt;
    res.once('close', () => this.#onClientClose());
  }

  /** Starts the call: reads what the body names, then sends the request upstream. */
  send(body: Buffer | undefined): void {
    if (this.#res.destroyed) {
      this.#proxy.release(this.#open);
      return;
    }
    const sendingAt = performance.now();
    const { options, allowedLabels } = this.#proxy;
    let sent = body;
    const parsed = body !== undefined && body.length > 0 ? parseJson(body) : undefined;
    this.#requestBody = parsed;
    // A path no wire format knows goes to the first upstream as it is (images, audio, moderations: OpenAI's
    // API); its body names its model the way OpenAI's does. Gemini names model and stream in the path.
    const request = (this.#format ?? openAiWireFormat).readRequest(parsed, this.#route.apiPath);
    this.#model = request.model;
    this.#stream = request.stream;
    if (body !== undefined && body.length > 0) {
      const option =
        options.streamUsage === 'inject' &&
        this.#format !== undefined &&
        !this.#proxy.refusesStreamUsage(this.#route.upstream.name)
          ? streamUsageToAsk(this.#format, this.#operation, parsed)
          : undefined;
      if (option !== undefined && isRecord(parsed)) {
        sent = withStreamUsageAsked(body, parsed, option);
        this.#injected = true;
        this.#clientBody = body;
      }
    }
    if (this.#responseId !== undefined) {
      // A poll names no model: it joins the series of the call that started the response, when this process saw it.
      this.#model ||= this.#proxy.ledger.modelOf(this.#responseId) ?? '';
      if (this.#req.method === 'GET') this.#stream = asksForStream(this.#req.url ?? '');
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
    const keyId = options.keyId?.(this.#req.rawHeaders, this.#req.url ?? '/');
    if (keyId !== undefined) this.#labels = { ...this.#labels, [KEY_ID_LABEL]: keyId };
    try {
      this.#call = options.meter.start({
        provider: this.#route.upstream.name,
        operation: this.#operation,
        model: this.#model,
        stream: this.#stream,
        labels: this.#labels,
        startedAt: this.#startedAt,
      });
    } catch (error) {
      // The recorder failed: the request goes on, unmeasured (a measurement never breaks the user's call).
      this.#proxy.reportMeasurementError(error);
    }
    this.#request();
    // The proxy's own work before the upstream: the body read (whole), to the request handed to Node's client.
    this.#requestOverheadMs = performance.now() - sendingAt;
  }

  /**
   * Right after the turn a stream's headers came in: sends them, unless body bytes (which carry them) were written
   * already, and records the proxy's overhead on the response and the rate limits its headers report.
   */
  afterStreamHead(): void {
    if (!this.#bodyWritten && !this.#res.destroyed && !this.#res.writableEnded) this.#res.flushHeaders();
    // The meter reports a failure to count it rather than throwing (this runs in a turn of its own).
    this.#proxy.options.meter.observeProxyOverhead(this.#route.upstream.name, this.#overheadSeconds);
    this.#observeRateLimits();
  }

  /** Cuts the call (a shutdown past its budget): recorded and logged as `aborted`, then its connections closed. */
  abort(): void {
    if (this.#call !== undefined) this.#finish('aborted');
    this.#cutUpstream();
    this.#res.destroy();
  }

  /**
   * Sends the request upstream, once: a request is never sent twice, even on a pooled connection that fails
   * before any response (the upstream may have read it, and a second one is a second, billed generation).
   * Idle pooled connections are closed before the upstream closes them instead ({@link UPSTREAM_IDLE_SOCKET_MS}).
   */
  #request(): void {
    const target = this.#proxy.targetOf(this.#route.upstream);
    const timeoutMs = this.#proxy.options.upstreamTimeoutMs;
    const upstreamReq = target.transport.request({
      protocol: target.protocol,
      hostname: target.hostname,
      servername: target.servername,
      port: target.port,
      method: this.#req.method,
      path: this.#route.upstreamPath,
      headers: this.#headers,
      agent: target.agent,
      // The agent's timeout is for idle pooled connections; a request waits for its upstream this long.
      timeout: timeoutMs,
    });
    this.#upstreamReq = upstreamReq;
    // Only the request under way speaks for the call: a first one refused (and resent) is done with.
    const current = (): boolean => this.#upstreamReq === upstreamReq;
    // The `timeout` option above set the socket's timeout (from the moment it is assigned, connecting or
    // reused) and relays its expiry as this event: `setTimeout()` here would set a second timer on each request.
    upstreamReq.on('timeout', () => {
      if (!current()) return;
      this.#timeout = new UpstreamTimeoutError(`upstream "${this.#route.upstream.name}" went silent`);
      upstreamReq.destroy(this.#timeout);
    });
    upstreamReq.on('response', (upstreamRes) => {
      if (current()) this.#onResponse(upstreamRes);
      else upstreamRes.resume();
    });
    // `101 Switching Protocols` with Upgrade headers: Node hands over the socket (and would otherwise destroy it
    // and leave the request waiting).
    upstreamReq.on('upgrade', (upstreamRes: IncomingMessage, socket: Socket) => {
      socket.destroy();
      this.#upstreamRes = upstreamRes;
      this.#invalidResponse(`switched protocols (${upstreamRes.statusCode ?? 101})`);
    });
    upstreamReq.on('error', (error) => {
      if (current()) this.#onUpstreamError(error);
    });
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

  #onUpstreamError(error: Error): void {
    if (this.#finished || this.#upstreamRes !== undefined) return;
    const name = this.#route.upstream.name;
    const code = (error as NodeJS.ErrnoException).code;
    if (this.#timeout !== undefined) {
      this.#status = 504;
      sendProxyError(this.#res, 'upstream_timeout', `upstream "${name}" did not answer in time`, this.#format);
      this.#finish('failed', this.#timeout);
    } else if (code?.startsWith('HPE_')) {
      // llhttp could not parse what came back: not a response at all.
      this.#invalidResponse(`sent bytes that are not an HTTP response (${code})`, error);
    } else {
      this.#status = 502;
      const message = `upstream "${name}" is unreachable (${code ?? error.message})`;
      this.#proxy.options.meter.upstreamConnectionError(name);
      sendProxyError(this.#res, 'upstream_unreachable', message, this.#format);
      this.#finish('failed', new UpstreamConnectionError(message, { cause: error }));
    }
  }

  /**
   * The upstream answered with something that cannot be passed on as HTTP: the client gets the proxy's 502 (or,
   * mid-stream, a cut connection), and the call is recorded once, as a `server_error`.
   */
  #invalidResponse(what: string, cause?: unknown): void {
    if (this.#finished) return;
    const message = `upstream "${this.#route.upstream.name}" ${what}`;
    this.#cutUpstream();
    this.#status = 502;
    this.#recordedStatus = 502;
    sendProxyError(this.#res, 'upstream_invalid_response', message, this.#format);
    this.#finish('failed', new UpstreamProtocolError(message, { cause }));
  }

  #onResponse(upstreamRes: IncomingMessage): void {
    const respondingAt = performance.now();
    this.#upstreamRes = upstreamRes;
    const res = this.#res;
    const format = this.#format;
    const status = upstreamRes.statusCode ?? 0;
    const reason = upstreamRes.statusMessage ?? '';
    // Node parses any three digits and any reason phrase, but only writes a final status of 100-999 (1xx
    // interim responses it handles itself, except 101 without Upgrade headers, which ends nothing here) and a
    // reason phrase without control characters.
    if (status < 200 || status > 999 || INVALID_REASON.test(reason)) {
      this.#invalidResponse(
        `answered with a status line that cannot be passed on (${JSON.stringify(`${status} ${reason}`)})`,
      );
      return;
    }
    this.#status = status;
    this.#recordedStatus = status;
    const upstreamName = this.#route.upstream.name;
    const contentType = upstreamRes.headers['content-type']?.toLowerCase() ?? '';
    const encoding = upstreamRes.headers['content-encoding'];
    if (status === 400 && this.#injected && !this.#resent && !isEncoded(encoding)) {
      this.#observeRateLimits();
      this.#readRefusal(upstreamRes, reason);
      return;
    }
    const isSse = contentType.startsWith('text/event-stream');
    // Gemini's `streamGenerateContent` without `?alt=sse`: one JSON array, flushed element by element.
    const isJsonArrayStream = !isSse && this.#stream && format?.name === 'gemini' && contentType.includes('json');
    // Ollama's native streams: one JSON object a line.
    const isNdjson = contentType.startsWith('application/x-ndjson');
    const isStream = isSse || isJsonArrayStream || isNdjson;
    // A stream's rate limits are read right after its first bytes left (see afterStreamHead); other responses' here.
    if (!isStream) this.#observeRateLimits();
    let filter: UsageChunkFilter | undefined;
    const call = this.#call;
    if (status < 400 && format !== undefined && call !== undefined) {
      const ledger = this.#proxy.ledger;
      const model = this.#model;
      const observed = {
        format,
        operation: this.#operation,
        model,
        requestBody: this.#requestBody,
        call,
        onResponseSeen:
          this.#operation === 'responses'
            ? (state: ResponseState) => {
                if (state.background && !state.final) ledger.expect(state.id, model, this.#route.upstream.name);
              }
            : undefined,
      };
      // A stream whose usage the proxy asked for is edited, so it must be read decoded: compressed although the
      // proxy asked for `identity`, it is decoded and goes to the client decoded (its usage chunk taken out).
      const decoder = isEncoded(encoding) ? contentDecoder(encoding) : undefined;
      if (isSse && this.#injected && status === 200 && (!isEncoded(encoding) || decoder !== undefined)) {
        const operation = this.#operation;
        const usageFilter = new UsageChunkFilter(() => {
          const own = format.createStreamAccumulator(operation);
          // OpenAI's plain content chunks are read as bytes (content-chunk-lane.ts).
          return format === openAiWireFormat ? new ContentChunkLane(own) : own;
        });
        filter = usageFilter;
        this.#planned = { observed, encoding: undefined, framing: 'sse', filter: usageFilter };
        this.#decoder = decoder;
      } else if (isObservableEncoding(encoding)) {
        if (isStream) {
          const framing = isSse ? 'sse' : isNdjson ? 'ndjson' : 'json-array';
          this.#planned = { observed, encoding, framing, filter: undefined };
        } else if (contentType.includes('json')) {
          // Made at once: a JSON body goes out whole, at its end, and its observer costs little to make.
          this.#observer = new JsonObserver(observed, encoding, this.#proxy.options.limits.responseBodyBytes);
        }
      }
    }
    if (res.destroyed) {
      this.#cutUpstream();
      return;
    }
    let headers = forwardedResponseHeaders(upstreamRes.rawHeaders, !!filter);
    if (this.#decoder !== undefined) headers = withoutHeader(headers, 'content-encoding');
    try {
      res.writeHead(status, reason, headers);
    } catch (error) {
      // A header Node refuses to write (a control character in its value…).
      this.#decoder = undefined;
      this.#planned = undefined;
      this.#observer = undefined;
      this.#invalidResponse('answered with a header that cannot be passed on', error);
      return;
    }
    // The response half: its headers received, to passed on (observers set up, headers filtered and written).
    const overheadSeconds = (this.#requestOverheadMs + performance.now() - respondingAt) / 1000;
    if (isStream) {
      // A stream's headers go out without waiting for its first event: SDKs hand the stream to the caller on them.
      // Body bytes that came with the headers are written in this turn of the event loop, and the headers go out
      // with them (one write instead of two); otherwise they go out alone right after this turn. The overhead is
      // recorded then too, after the stream's first bytes.
      this.#overheadSeconds = overheadSeconds;
      setImmediate(afterStreamHead, this);
    } else this.#proxy.options.meter.observeProxyOverhead(upstreamName, overheadSeconds);
    this.#forwardBody(upstreamRes, filter);
  }

  /** Every response reports the provider's rate limits, a 429 or a 400 included (when it has any). */
  #observeRateLimits(): void {
    const upstreamRes = this.#upstreamRes;
    if (upstreamRes === undefined || !hasRateLimitHeaders(upstreamRes.rawHeaders)) return;
    this.#proxy.options.meter.observeRateLimits(this.#route.upstream.name, this.#model, (name) => {
      const value = upstreamRes.headers[name];
      return Array.isArray(value) ? value[0] : value;
    });
  }

  /**
   * The observer of the response's copy; a stream's is made the first time it is needed: once its first bytes
   * were written. Made in the turn the stream's head came in, it held those bytes back by as long as making it took
   * (23-30 µs on a proxy idle for milliseconds, code and data brought back into the caches). Made from a plan
   * rather than by a closure: a closure per stream cost 40-75 µs more CPU on a stream that came all at once, and
   * 30 µs on a JSON call (measured, with twice the garbage collector's time; not understood).
   */
  #observerNow(): ResponseObserver | undefined {
    const plan = this.#planned;
    if (plan !== undefined) {
      this.#planned = undefined;
      const { observed, encoding, framing, filter } = plan;
      this.#observer = new SseObserver(observed, encoding, filter?.accumulator, { framing });
    }
    return this.#observer;
  }

  /**
   * A 400 to a request the proxy added `stream_options` to: nothing reached the client yet, so its body is read
   * (up to {@link REFUSAL_INSPECTED_BYTES}) before anything is passed on. When it names the option, the upstream
   * refused the request without generating anything, and the request is sent again, once, as the client wrote it
   * (the only request the proxy ever sends twice); the upstream is remembered, so later calls are not asked, and
   * their tokens are counted locally. Any other 400 goes to the client as it came.
   */
  #readRefusal(upstreamRes: IncomingMessage, reason: string): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const passOn = (ended: boolean): void => {
      upstreamRes.removeAllListeners('data');
      upstreamRes.removeAllListeners('end');
      const res = this.#res;
      if (res.destroyed) return;
      try {
        res.writeHead(400, reason, forwardedResponseHeaders(upstreamRes.rawHeaders, false));
      } catch (error) {
        this.#invalidResponse('answered with a header that cannot be passed on', error);
        return;
      }
      if (ended) {
        res.end(Buffer.concat(chunks, size));
        this.#finish('complete');
        return;
      }
      res.write(Buffer.concat(chunks, size));
      this.#forwardBody(upstreamRes, undefined);
    };
    upstreamRes.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > REFUSAL_INSPECTED_BYTES) passOn(false);
    });
    upstreamRes.on('end', () => {
      const text = Buffer.concat(chunks, size).toString('utf8');
      if (!this.#format?.streamUsageOption?.refused(400, text) || this.#res.destroyed || this.#finished) {
        passOn(true);
        return;
      }
      this.#resendWithoutStreamUsage();
    });
    upstreamRes.on('error', () => {});
    upstreamRes.on('close', () => {
      if (upstreamRes.complete || this.#finished || this.#resent) return;
      this.#res.destroy();
      this.#finish('failed', this.#timeout);
    });
  }

  #resendWithoutStreamUsage(): void {
    const { name, url } = this.#route.upstream;
    this.#proxy.markRefusesStreamUsage(name);
    this.#proxy.options.logger.info(
      { upstream: name },
      'the upstream refused stream_options: the request was sent again without it; its streams are counted locally',
    );
    this.#resent = true;
    this.#injected = false;
    this.#body = this.#clientBody;
    this.#clientBody = undefined;
    this.#headers = forwardedRequestHeaders(
      this.#req.rawHeaders,
      url.host,
      this.#proxy.allowedLabels,
      this.#body?.length,
    ).headers;
    this.#upstreamRes = undefined;
    this.#status = undefined;
    this.#recordedStatus = undefined;
    this.#request();
  }

  /** Copies the response body to the client (through the decoder and the usage filter, when there are). */
  #forwardBody(upstreamRes: IncomingMessage, filter: UsageChunkFilter | undefined): void {
    const res = this.#res;
    const call = this.#call;
    const observing = this.#planned !== undefined || this.#observer !== undefined;
    const decoder = this.#decoder;
    const body: Readable = decoder === undefined ? upstreamRes : upstreamRes.pipe(decoder);
    const resume = (): void => {
      body.resume();
    };
    // The chunks of one turn go to the client in one write at its end: one socket read of a stream whose events
    // came back to back holds dozens of HTTP chunks, and one write each (a chunk header, a buffer for the socket)
    // cost about what the rest of the proxy's work on them does. node:http corks the socket until then anyway,
    // so the client gets the same bytes no later.
    let held: Buffer[] = [];
    let heldBytes = 0;
    // When the first chunk held came (read only while time to first token is still to be marked, else 0).
    let heldAt = 0;
    // The chunks last written, for the observer to read once they went out: `res.write` only queues a chunk of a
    // chunked response (Node corks the socket until its own next tick), so reading them in `flush` would hold the
    // client's bytes back by as long as reading takes (measured: 53 µs on the first event of a stream).
    let unread: Buffer[] | undefined;
    let unreadHeldAt = 0;
    const read = (): void => {
      const chunks = unread;
      if (chunks === undefined) return;
      unread = undefined;
      const observer = this.#observerNow();
      if (observer !== undefined) for (const chunk of chunks) observer.take(chunk, unreadHeldAt);
      if (filter === undefined) return;
      // The filter forwards a stream's first event before reading it, and what came with it waited: read now,
      // either may be the first token; what waited goes out in the next write.
      const later = filter.readLater();
      if (later.content && call !== undefined && call.firstTokenAt === undefined) call.markFirstToken(unreadHeldAt);
      if (later.bytes.length > 0) hold(later.bytes);
    };
    const flush = (): void => {
      if (held.length === 0) return;
      const chunks = held;
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, heldBytes);
      held = [];
      heldBytes = 0;
      if (!res.destroyed && !res.writableEnded && !res.write(bytes)) {
        body.pause();
        res.once('drain', resume);
      }
      if (!observing) return;
      // Chunks not read yet are read first, in order (the end of a body flushes and reads in one turn).
      read();
      unread = chunks;
      unreadHeldAt = heldAt;
      // Queued after the uncork `res.write` queued: the bytes are on their way when this reads them.
      process.nextTick(read);
    };
    // The call is recorded (#finish) once the chunks written are read.
    this.#readUnread = read;
    const hold = (bytes: Buffer): void => {
      this.#bodyWritten = true;
      if (held.length === 0) {
        process.nextTick(flush);
        heldAt = call?.firstTokenAt === undefined ? performance.now() : 0;
      }
      held.push(bytes);
      heldBytes += bytes.length;
    };
    body.on('data', (chunk: Buffer) => {
      if (filter !== undefined) {
        const filtered = filter.push(chunk);
        if (filtered.bytes.length === 0) return;
        hold(filtered.bytes);
        if (filtered.content && call?.firstTokenAt === undefined) call?.markFirstToken(performance.now());
      } else hold(chunk);
    });
    body.on('end', () => {
      // What still waits in the filter goes out behind what is held, and before the end.
      const rest = filter?.end();
      if (rest !== undefined && rest.length > 0) hold(rest);
      flush();
      res.end();
      this.#finish('complete');
    });
    decoder?.on('error', (error) => {
      // Not what its Content-Encoding says: the client's copy is cut, as for a body the upstream cut.
      flush();
      this.#cutUpstream();
      res.destroy();
      this.#finish(
        'failed',
        new UpstreamProtocolError(`upstream "${this.#route.upstream.name}" sent a body that does not decode`, {
          cause: error,
        }),
      );
    });
    upstreamRes.on('error', () => {});
    upstreamRes.on('close', () => {
      if (upstreamRes.complete || this.#finished) return;
      // The upstream cut the body short: so does the client's copy, rather than ending it as if it were whole.
      flush();
      this.#decoder?.destroy();
      res.destroy();
      this.#finish('failed', this.#timeout);
    });
  }

  #cutUpstream(): void {
    this.#decoder?.destroy();
    this.#upstreamReq?.destroy();
    this.#upstreamRes?.destroy();
  }

  /**
   * A failure in llmeter's own handling of the request (a bug, never the client's or the upstream's doing): the
   * client gets a 500 `proxy_error`, the call is recorded once if it had started, and the proxy stays up.
   */
  fail(error: unknown): void {
    if (this.#finished) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#cutUpstream();
    this.#status = 500;
    try {
      this.#proxy.options.logger.error({ err: failure }, 'the proxy failed to handle a request');
    } catch {
      // A logger that fails must not stop the answer below.
    }
    sendProxyError(this.#res, 'proxy_error', 'llmeter could not handle this request', this.#format);
    if (this.#call) this.#finish('failed', failure);
    else this.#proxy.release(this.#open);
  }

  #onClientClose(): void {
    if (this.#res.writableFinished || this.#finished) {
      if (!this.#call) this.#proxy.release(this.#open);
      return;
    }
    // The client went away: cancel the upstream call, which is recorded as aborted.
    this.#cutUpstream();
    if (this.#call) this.#finish('aborted');
    else this.#proxy.release(this.#open);
  }

  /**
   * Records the call, once, however it ended: what the transport did, the upstream's status, and what the
   * body said go to core's `callOutcome`, which decides (the same way as for the SDK). Never throws: a
   * failure to record or log is reported to the logger, and the request is released in any case. A body read
   * whole (JSON) is recorded in this turn; a decompressing copy is waited for.
   */
  #finish(transport: TransportEnding, error?: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    const call = this.#call;
    if (call === undefined) {
      this.#proxy.release(this.#open);
      return;
    }
    const endedAt = performance.now();
    let observed: ObservedBody | Promise<ObservedBody> = {};
    try {
      // Chunks written in this turn are read before the copy is closed (a client gone while they were written).
      this.#readUnread?.();
      const observer = this.#observerNow();
      if (observer !== undefined) observed = observer.finish(transport);
    } catch {
      // A copy that cannot be read leaves the call counted, without usage.
    }
    if (observed instanceof Promise) {
      observed.then(
        (body) => this.#record(call, transport, error, endedAt, body),
        () => this.#record(call, transport, error, endedAt, {}),
      );
    } else this.#record(call, transport, error, endedAt, observed);
  }

  #record(
    call: InFlightCall,
    transport: TransportEnding,
    error: Error | undefined,
    endedAt: number,
    observed: ObservedBody,
  ): void {
    try {
      this.#recordOutcome(call, transport, error, endedAt, observed);
    } catch (failure) {
      try {
        this.#proxy.options.logger.warn({ err: failure }, 'a call could not be recorded');
      } catch {
        // The logger itself is gone (a shutdown ended it): nothing left to tell.
      }
    } finally {
      this.#proxy.release(this.#open);
    }
  }

  #recordOutcome(
    call: InFlightCall,
    transport: TransportEnding,
    error: Error | undefined,
    endedAt: number,
    observed: ObservedBody,
  ): void {
    const status = this.#status;
    const { logger } = this.#proxy.options;
    const outcome = callOutcome({
      transport,
      status: this.#recordedStatus,
      error,
      ...observed,
      endedAt,
      onError: this.#proxy.reportMeasurementError,
      ledger: this.#proxy.ledger,
      responseId: this.#responseId,
      model: this.#model,
      provider: this.#route.upstream.name,
    });
    call.end(outcome);
    logCall(
      logger,
      {
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
      },
      this.#proxy.options.writeCallLine,
    );
  }
}

/**
 * The most bytes of a 400 answer to a request with injected `stream_options` the proxy reads before passing it on,
 * to tell whether the option was refused: error bodies are far smaller; a larger one is passed on unread.
 */
const REFUSAL_INSPECTED_BYTES = 64 * 1024;

/** What Node refuses in a reason phrase (as in a header value): control characters other than tab. */
const INVALID_REASON = /[^\t\x20-\x7e\x80-\xff]/;

/** A raw header list without any `name` header. */
function withoutHeader(rawHeaders: readonly string[], name: string): string[] {
  const headers: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i] as string;
    if (key.toLowerCase() !== name) headers.push(key, rawHeaders[i + 1] as string);
  }
  return headers;
}

/** Errors on a client's response (a reset connection) end nothing the proxy must do: the 'close' handler does. */
function ignoreError(): void {}

/** What is left to do once a stream's headers came in (see {@link Exchange.afterStreamHead}). */
function afterStreamHead(exchange: Exchange): void {
  exchange.afterStreamHead();
}

/** Starts an exchange; an error thrown on the way is llmeter's own failure, answered and recorded by `fail`. */
function sendGuarded(exchange: Exchange, body: Buffer | undefined): void {
  try {
    exchange.send(body);
  } catch (error) {
    exchange.fail(error);
  }
}

/** Whether a request target's query asks for a stream (`GET /v1/responses/{id}?stream=true`: a resume). */
function asksForStream(target: string): boolean {
  const query = target.indexOf('?');
  return query !== -1 && new URLSearchParams(target.slice(query + 1)).get('stream') === 'true';
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // A body that is not JSON is still forwarded; the call is counted with model `unknown`.
    return undefined;
  }
}
