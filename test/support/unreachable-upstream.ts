/**
 * An upstream URL nothing listens on: port 1 of the loopback address. A port taken from the OS and given back is
 * not safe for this, because tests run in parallel and another one may be handed the same port a moment later
 * (the OS hands out ephemeral ports, never port 1), turning "connection refused" into someone else's reply.
 */
export const UNREACHABLE_UPSTREAM_URL = 'http://127.0.0.1:1';
