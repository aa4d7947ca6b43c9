/**
 * The page's Content-Security-Policy: everything the page loads comes from the server that serves it, and
 * nothing inline runs (the page's scripts are ES modules from the page folder; its style is a file too).
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'self'";

/** Headers of the page and its files: the CSP, no sniffing, no referrer, and the given caching. */
export function pageHeaders(cacheControl: string): Record<string, string> {
  return {
    'cache-control': cacheControl,
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
