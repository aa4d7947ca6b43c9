// The load generator of the proxy benchmarks: keep-alive POSTs to /v1/chat/completions on 127.0.0.1, `concurrency`
// at a time, each read to its end.
import { Agent, request } from 'node:http';
import { TIMES_HEADER } from './fake-upstream.mjs';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One call; resolves to its time to first byte in ms once the whole response has been read.
 * A status other than 200 rejects: a proxy that fails a call must not look fast.
 * Given `halves` (an object), and an upstream in this process (lib/fake-upstream.mjs, which reports when it got
 * the request and started its answer), it also tells where that time went: `request`, from sending to the
 * upstream getting the request, and `response`, from the upstream starting its answer to the first byte here.
 */
export function call(base, body, headers = {}, path = '/v1/chat/completions', halves = undefined) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte;
    const req = request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: 'Bearer sk-bench',
          ...headers,
        },
      },
      (res) => {
        const status = res.statusCode;
        const parts = [];
        res.on('data', (part) => {
          if (firstByte === undefined) {
            firstByte = performance.now() - started;
            const times = res.headers[TIMES_HEADER];
            if (halves !== undefined && typeof times === 'string') {
              const [receivedAt, answeredAt] = times.split(' ').map(Number);
              halves.request = receivedAt - started;
              halves.response = started + firstByte - answeredAt;
            }
          }
          if (status !== 200) parts.push(part);
        });
        res.on('end', () => {
          if (status !== 200) reject(new Error(`${base} answered ${status}: ${Buffer.concat(parts).toString()}`));
          else resolve(firstByte ?? performance.now() - started);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `count` calls, `concurrency` at a time. */
export async function load(base, body, count, concurrency, headers = {}, path = undefined) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await call(base, body, headers, path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** Closes the pooled connections so that the process can exit. */
export function closeLoad() {
  agent.destroy();
}
