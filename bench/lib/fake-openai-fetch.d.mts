/** The headers an OpenAI chat reply carries besides its content type, rate limits included. */
export declare const OPENAI_REPLY_HEADERS: readonly (readonly [string, string])[];
/** The SSE body of a stream: a role chunk, `words` content chunks, a finish chunk, the usage chunk if asked. */
export declare function streamBody(words: readonly string[], includeUsage: boolean): string;
/** A `fetch` for `new OpenAI({ fetch })` whose streams carry `words` as content chunks. */
export declare function fakeOpenAIFetch(
  words: readonly string[],
  options?: { replyHeaders?: boolean },
): (url: unknown, init?: { body?: unknown }) => Promise<Response>;
