import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * Whether a listen address only takes connections from this machine: `localhost`, `127.0.0.0/8`, `::1` (and
 * `::ffff:127.x.y.z`). `0.0.0.0`, `::` and any other address or name take them from the network.
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0'); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIPv4(lower)) return lower.startsWith('127.');
  if (isIPv6(lower)) return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  return false;
}

/**
 * Which `Host` headers the proxy's own routes answer to, against DNS rebinding: a page on an attacker's domain
 * that re-resolves that domain to 127.0.0.1 makes the user's browser talk to a loopback proxy, but every request
 * it sends still names the attacker's domain in `Host`. So a request is answered when its `Host` (port aside: a
 * port mapping changes it, and rebinding is about names) is
 * - an IP literal (`127.0.0.1`, `[::1]`, `10.0.0.5`): a browser sends one only when it connected to that address
 *   itself, so no rebound name can produce it;
 * - `localhost` or a name under `.localhost` (browsers resolve those to loopback themselves, never through DNS);
 * - the host the proxy listens on, when it is a name;
 * - in `allowedHosts`: a name, a `.domain` suffix (the domain and every name under it), or `*` (any host);
 * - absent (HTTP/1.0; browsers always send one).
 * Anything else, a malformed `Host` included, is refused.
 * @param listenHost the configured listen host (`--host`).
 * @param allowedHosts lower-case names, `.domain` suffixes or `*`, as the configuration holds them.
 * @example
 * ```ts
 * const allowed = hostAllowList('127.0.0.1', ['metrics.internal']);
 * allowed('127.0.0.1:8787'); // true
 * allowed('metrics.internal:8787'); // true
 * allowed('attacker.example:8787'); // false
 * ```
 */
export function hostAllowList(
  listenHost: string,
  allowedHosts: readonly string[],
): (hostHeader: string | undefined) => boolean {
  const names = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const entry of allowedHosts) {
    if (entry === '*') any = true;
    else if (entry.startsWith('.')) suffixes.push(entry);
    else names.add(entry);
  }
  const listenName = listenHost.toLowerCase().replace(/(?<=.)\.$/, '');
  if (isIP(listenName) === 0) names.add(listenName);
  return (hostHeader) => {
    if (hostHeader === undefined || any) return true;
    const name = hostName(hostHeader);
    if (name === undefined) return false;
    if (name.startsWith('[') || isIPv4(name)) return true;
    if (name === 'localhost' || name.endsWith('.localhost') || names.has(name)) return true;
    return suffixes.some((suffix) => name === suffix.slice(1) || name.endsWith(suffix));
  };
}

/**
 * The JSON body of the 403 that refuses a `Host` header: what was refused, why, and how to allow it.
 * @example
 * ```ts
 * forbiddenHostBody('attacker.example:8787'); // '{"error":"forbidden: … --allowed-host attacker.example …"}'
 * ```
 */
export function forbiddenHostBody(hostHeader: string): string {
  const shown = hostHeader.length > 200 ? `${hostHeader.slice(0, 200)}…` : hostHeader;
  const name = hostName(hostHeader);
  const error =
    name === undefined
      ? `forbidden: malformed Host header "${shown}"`
      : `forbidden: this proxy's own routes do not answer to the host "${shown}" (a DNS rebinding guard). ` +
        `To allow it, start the proxy with --allowed-host ${name} (allowedHosts in the config file)`;
  return JSON.stringify({ error });
}

/**
 * The host name of a `Host` header, lower-case and without its port or trailing dot (`[v6]` keeps its brackets),
 * or undefined when the header is not `host[:port]`.
 */
function hostName(header: string): string | undefined {
  let name: string;
  let port: string;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    if (end === -1 || !isIPv6(header.slice(1, end))) return undefined;
    name = header.slice(0, end + 1);
    port = header.slice(end + 1);
  } else {
    const colon = header.indexOf(':');
    name = colon === -1 ? header : header.slice(0, colon);
    port = colon === -1 ? '' : header.slice(colon);
  }
  if (port !== '' && !/^:\d{1,5}$/.test(port)) return undefined;
  name = name.toLowerCase().replace(/(?<=.)\.$/, '');
  if (!/^(?:\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)$/.test(name)) return undefined;
  return name;
}

/**
 * The warning to log at start when the proxy listens beyond this machine without a metrics token, or undefined.
 * @example
 * ```ts
 * exposureWarning('0.0.0.0', undefined); // 'listening on 0.0.0.0, which other machines can reach, without …'
 * exposureWarning('127.0.0.1', undefined); // undefined
 * ```
 */
export function exposureWarning(listenHost: string, metricsToken: string | undefined): string | undefined {
  if (metricsToken !== undefined || isLoopbackHost(listenHost)) return undefined;
  return (
    `listening on ${listenHost}, which other machines can reach, without a metrics token: anyone who can reach ` +
    'this port can read /metrics and the dashboard (models, labels, token counts, spend). Set a token with ' +
    '--metrics-token-file (or LLMETER_METRICS_TOKEN_FILE, or metricsTokenFile in the config file), or listen on ' +
    '127.0.0.1'
  );
}
