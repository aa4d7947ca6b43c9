/** A response read whole, bytes untouched. */
export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
}

/** POSTs JSON (or any string) and reads the raw response body. */
export async function postRaw(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, text: bytes.toString('utf8') };
}

/**
 * Waits until the clock is early in a second, so that two simulated replies made right after carry the same
 * `created` timestamp (Unix seconds).
 */
export async function startOfSecond(): Promise<void> {
  const intoSecond = Date.now() % 1000;
  if (intoSecond > 600) await new Promise((resolve) => setTimeout(resolve, 1010 - intoSecond));
}
