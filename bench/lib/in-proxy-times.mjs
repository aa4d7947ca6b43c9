// Where a proxy process's own time goes on each request, read inside that process (a benchmark worker's, never
// the product's): from the request's head parsed to the first bytes written to the upstream, and from the
// upstream's first bytes read to the first bytes written to the client. Measured seen from the load client, the
// same times carry the client's and the upstream's scheduling too (two copies of one build came out 5–45 µs
// apart); read here, they are the proxy's alone (1–4 µs apart). Each half ends as the proxy hands its first write
// to the socket (the system call follows at once).
//
// It wraps node:http's and the sockets' own methods, as every proxy here runs on them (http-proxy and llmeter
// alike), so that both pay the same for being measured. Requests are taken one at a time (the time-to-first-byte
// loop sends them so): a time is that of the last request seen.
import http from 'node:http';

/** What the request and response halves took, in ms, since the last `take()`. */
export function installInProxyTimes() {
  const request = [];
  const response = [];
  let requestAt = 0;
  let upstreamReadAt = 0;
  let responseAwaited = false;
  /** Calls `onWrite` before each write `socket` hands to the system. */
  const beforeWrites = (socket, onWrite) => {
    for (const key of ['_write', '_writev']) {
      const write = socket[key];
      socket[key] = function measuredWrite(...args) {
        onWrite();
        return write.apply(this, args);
      };
    }
  };
  const serverEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emit(event, ...args) {
    if (event === 'request') {
      requestAt = performance.now();
      responseAwaited = true;
    } else if (event === 'connection') {
      beforeWrites(args[0], () => {
        if (!responseAwaited) return;
        response.push(performance.now() - upstreamReadAt);
        responseAwaited = false;
      });
    }
    return serverEmit.call(this, event, ...args);
  };
  // Upstream sockets: every proxy here gets them from an http.Agent.
  const createConnection = http.Agent.prototype.createConnection;
  http.Agent.prototype.createConnection = function createUpstreamConnection(...args) {
    const socket = createConnection.apply(this, args);
    socket.prependListener('data', () => {
      upstreamReadAt = performance.now();
    });
    beforeWrites(socket, () => {
      if (requestAt === 0) return;
      request.push(performance.now() - requestAt);
      requestAt = 0;
    });
    return socket;
  };
  return {
    take: () => ({ request: request.splice(0), response: response.splice(0) }),
  };
}
