/**
 * Whether a value is an object whose fields can be read by name: not null, not an array, not a primitive. The one
 * such check of llmeter, for decoded JSON, request params and SDK objects alike (a class instance counts; a
 * function does not).
 *
 * @example
 * ```ts
 * import { isRecord } from '@llmeter/core/wire';
 * const body: unknown = JSON.parse('{"model":"gpt-4o"}');
 * if (isRecord(body) && typeof body.model === 'string') console.log(body.model);
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of a decoded JSON value, when the value is an object; else `undefined`. */
export function field(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

/** A field that is a non-empty string, else `undefined`. */
export function stringField(value: unknown, name: string): string | undefined {
  const found = field(value, name);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/**
 * The JSON value of an SSE event's data, or `undefined` when it is not JSON: bad JSON carries nothing to read,
 * but the event around it (an `event: error`, say) still counts.
 */
export function parseEventData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Whether `text` is its own JSON string content: no quote, no backslash, no control character. */
export function isPlainText(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x20 || code === 0x22 || code === 0x5c) return false;
  }
  return true;
}
