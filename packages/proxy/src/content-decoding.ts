import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * A streaming decoder for a response's `Content-Encoding` (`gzip`, `x-gzip`, `deflate`, `br`, any case); undefined
 * for none, `identity`, or one the proxy cannot undo (`zstd`, a list of several).
 *
 * The proxy decodes a body it must edit: a stream whose usage it asked for, that the upstream compressed although
 * the proxy asked for `identity`.
 *
 * @example
 * ```ts
 * const decoder = contentDecoder(upstreamRes.headers['content-encoding']);
 * const body = decoder ? upstreamRes.pipe(decoder) : upstreamRes;
 * ```
 */
export function contentDecoder(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Whether a `Content-Encoding` says the body is encoded at all (absent, empty and `identity` do not). */
export function isEncoded(encoding: string | undefined): boolean {
  const value = encoding?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'identity';
}
