import { createHmac } from 'node:crypto';

/** The label the proxy puts the key id in, when `keyIdSalt` is set. */
export const KEY_ID_LABEL = 'key_id';

/** Hex characters kept of the HMAC: 48 bits, so that distinct keys of one organization do not collide. */
const KEY_ID_LENGTH = 12;

/** Keys whose id is remembered, so that a steady set of keys costs one HMAC each, not one per call. */
const REMEMBERED_KEYS = 1000;

// Where each API sends its key: OpenAI `Authorization: Bearer`, Anthropic `x-api-key`, Azure `api-key`, Gemini
// `x-goog-api-key` (or `?key=` in the URL).
const KEY_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key']);

/**
 * The credential of a request, from its raw headers (or a Gemini `?key=`); undefined when it sends none. A
 * `Bearer ` prefix is dropped, so that the same key gives the same id whichever header carries it.
 */
export function requestCredential(rawHeaders: readonly string[], target: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]?.toLowerCase() ?? '';
    if (!KEY_HEADERS.has(name)) continue;
    const value = (rawHeaders[i + 1] ?? '').trim();
    const key = name === 'authorization' ? value.replace(/^bearer\s+/i, '') : value;
    if (key !== '') return key;
  }
  const query = target.indexOf('?');
  if (query === -1) return undefined;
  const key = new URLSearchParams(target.slice(query + 1)).get('key');
  return key === null || key === '' ? undefined : key;
}

/**
 * The `key_id` of each request: the first 12 hex characters of HMAC-SHA256(salt, credential). Without the salt
 * an id cannot be checked against a guessed key, and the key itself never reaches metrics or logs. Undefined
 * for a request without a credential.
 *
 * @example
 * ```ts
 * const keyId = keyIdReader('a long random salt from the config');
 * keyId(['Authorization', 'Bearer sk-...'], '/v1/chat/completions'); // e.g. '3f9a0c1b7d2e'
 * ```
 */
export function keyIdReader(salt: string): (rawHeaders: readonly string[], target: string) => string | undefined {
  const remembered = new Map<string, string>();
  return (rawHeaders, target) => {
    const credential = requestCredential(rawHeaders, target);
    if (credential === undefined) return undefined;
    let id = remembered.get(credential);
    if (id === undefined) {
      id = createHmac('sha256', salt).update(credential).digest('hex').slice(0, KEY_ID_LENGTH);
      if (remembered.size >= REMEMBERED_KEYS) remembered.clear();
      remembered.set(credential, id);
    }
    return id;
  };
}
