import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { resolveConfig } from './config.js';
import { isRejection, Router } from './routing.js';

// For any request target, a forwarded path stays under its upstream's base path, as a strict URL parser
// (WHATWG) resolves it and as a lenient server would: one that decodes escapes again and again, takes `\` for
// `/`, drops `;parameters` and reads overlong UTF-8 dots as dots. It never starts with `//`.

const { upstreams } = resolveConfig({
  upstreams: {
    root: 'http://root.example',
    azure: 'http://azure.example/openai/',
    deep: 'http://deep.example/a/b',
  },
});
const router = new Router(upstreams);
const basePath = (url: URL): string => url.pathname.replace(/\/+$/, '');

/** How a lenient server could read a path: every decoding applied, then dot segments resolved. */
function lenientlyResolved(path: string): string {
  let text = path;
  for (let round = 0; round < 20; round += 1) {
    const next = text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (next === text) break;
    text = next;
  }
  text = text.replaceAll('\xc0\xae', '.').replaceAll('\\', '/');
  const kept: string[] = [];
  for (const segment of text.split('/').slice(1)) {
    const name = segment.split(';')[0];
    if (name === '..') kept.pop();
    else if (name !== '.') kept.push(segment);
  }
  return `/${kept.join('/')}`;
}

const piece = fc.constantFrom(
  '/',
  '.',
  '..',
  '%',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%25',
  '%252e',
  '%00',
  '%c0%ae',
  '%3b',
  '%23',
  '2',
  'e',
  'f',
  '5',
  'c',
  '\\',
  ';',
  '?',
  '#',
  'root',
  'azure',
  'deep',
  'v1',
  'x',
);
const trickyTarget = fc.array(piece, { maxLength: 14 }).map((parts) => `/${parts.join('')}`);
const anyTarget = fc.oneof(
  trickyTarget,
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => `/${text}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.webPath(),
);

describe('Router, for arbitrary targets', () => {
  test('a forwarded path stays under the base path and never starts with //', () => {
    fc.assert(
      fc.property(anyTarget, (target) => {
        const route = router.route(target);
        if (isRejection(route)) return;
        const base = basePath(route.upstream.url);
        const { upstreamPath } = route;
        expect(upstreamPath.startsWith('//')).toBe(false);
        expect(upstreamPath.startsWith(`${base}/`)).toBe(true);
        const strict = new URL(upstreamPath, route.upstream.url);
        expect(strict.origin).toBe(route.upstream.url.origin);
        expect(strict.pathname.startsWith(`${base}/`)).toBe(true);
        const path = upstreamPath.split('?')[0] ?? '';
        expect(lenientlyResolved(path).startsWith(`${base}/`)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  test('tricky targets are routed or refused, never thrown on', () => {
    fc.assert(
      fc.property(trickyTarget, (target) => {
        const route = router.route(target);
        expect(isRejection(route) ? route.rejected : route.upstreamPath).toEqual(expect.any(String));
      }),
      { numRuns: 2000 },
    );
  });
});
