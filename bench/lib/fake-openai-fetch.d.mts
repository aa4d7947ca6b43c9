/** The SSE body of a stream: a role chunk, `words` content chunks, a finish chunk, the usage chunk if asked. */
export declare function streamBody(words: readonly string[], includeUsage: boolean): string;
/** A `fetch` for `new OpenAI({ fetch })` whose streams carry `words` as content chunks. */
export declare function fakeOpenAIFetch(
  words: readonly string[],
): (url: unknown, init?: { body?: unknown }) => Promise<Response>;
