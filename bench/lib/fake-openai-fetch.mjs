// An in-process OpenAI transport for the SDK benchmarks: the client's `fetch` option answers with a canned
// `Response` (no network), as OpenAI would: a chat completion, or a stream whose usage chunk comes only when the
// request asks for it.

const completionBody = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } },
});

/**
 * The headers an OpenAI chat reply carries besides its content type (names and value shapes as api.openai.com
 * sends them; ids made up): the six `x-ratelimit-*` ones, and the rest a rate-limit reader must skip past.
 */
export const OPENAI_REPLY_HEADERS = [
  ['date', 'Mon, 30 Nov 2026 06:00:00 GMT'],
  ['connection', 'keep-alive'],
  ['access-control-expose-headers', 'X-Request-ID'],
  ['openai-organization', 'user-abcdefghijklmnopqrstuvwx'],
  ['openai-processing-ms', '386'],
  ['openai-project', 'proj_abcdefghijklmnopqrstuvwx'],
  ['openai-version', '2020-10-01'],
  ['x-envoy-upstream-service-time', '390'],
  ['x-ratelimit-limit-requests', '10000'],
  ['x-ratelimit-limit-tokens', '30000000'],
  ['x-ratelimit-remaining-requests', '9999'],
  ['x-ratelimit-remaining-tokens', '29999985'],
  ['x-ratelimit-reset-requests', '6ms'],
  ['x-ratelimit-reset-tokens', '0s'],
  ['x-request-id', 'req_0123456789abcdef0123456789abcdef'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains; preload'],
  ['cf-cache-status', 'DYNAMIC'],
  ['set-cookie', '__cf_bm=abcdefghijklmnopqrstuvwxyz0123456789; path=/; expires=Mon, 30-Nov-26 06:30:00 GMT; HttpOnly'],
  ['x-content-type-options', 'nosniff'],
  ['set-cookie', '_cfuvid=abcdefghijklmnopqrstuvwxyz0123456789; path=/; HttpOnly; Secure; SameSite=None'],
  ['server', 'cloudflare'],
  ['cf-ray', '8f0123456789abcd-FRA'],
  ['alt-svc', 'h3=":443"; ma=86400'],
];

/**
 * The SSE body of a stream: a role chunk, `words` content chunks, a finish chunk, the usage chunk if asked. Each
 * chunk has the members of a recorded one, in its order (the corpus's `openai/chat-stream-tool-calls-usage`):
 * `"usage":null` when usage is asked, and `obfuscation` last, after it.
 */
export function streamBody(words, includeUsage) {
  const chunk = (choices, usage) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-2024-08-06',
      service_tier: 'default',
      system_fingerprint: 'fp_0123456789',
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
      obfuscation: 'Fq3xTm',
    })}\n\n`;
  const delta = (content) => chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]);
  let body = chunk([
    { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
  ]);
  for (const word of words) body += delta(word);
  body += chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
  if (includeUsage) body += chunk([], { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 19 });
  return `${body}data: [DONE]\n\n`;
}

/**
 * A `fetch` for `new OpenAI({ fetch })` whose streams carry `words` as content chunks; with `replyHeaders`,
 * every reply also carries OpenAI's own headers ({@link OPENAI_REPLY_HEADERS}), rate limits included.
 */
export function fakeOpenAIFetch(words, { replyHeaders = false } = {}) {
  const bodies = { true: streamBody(words, true), false: streamBody(words, false) };
  const extra = replyHeaders ? OPENAI_REPLY_HEADERS : [];
  const json = [['content-type', 'application/json'], ...extra];
  const sse = [['content-type', 'text/event-stream'], ...extra];
  return async (_url, init) => {
    const body = JSON.parse(String(init?.body));
    if (!body.stream) return new Response(completionBody, { headers: json });
    const includeUsage = body.stream_options?.include_usage === true;
    return new Response(bodies[String(includeUsage)], { headers: sse });
  };
}
