/**
 * A request path reduced to what names the endpoint: no query string or fragment, no trailing slash, and a
 * leading slash, so that suffix checks like `endsWith('/chat/completions')` work on any of the spellings a
 * front end may pass (a full `req.url`, a path without its base, `chat/completions`).
 */
export function endpointPath(path: string): string {
  let end = path.length;
  const query = path.indexOf('?');
  if (query !== -1) end = query;
  const fragment = path.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  while (end > 0 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  const trimmed = path.slice(0, end);
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
