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

/** The SSE body of a stream: a role chunk, `words` content chunks, a finish chunk, the usage chunk if asked. */
export function streamBody(words, includeUsage) {
  const chunk = (choices, usage) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  const delta = (content) => chunk([{ index: 0, delta: { content }, finish_reason: null }]);
  let body = chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const word of words) body += delta(word);
  body += chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
  if (includeUsage) body += chunk([], { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 19 });
  return `${body}data: [DONE]\n\n`;
}

/** A `fetch` for `new OpenAI({ fetch })` whose streams carry `words` as content chunks. */
export function fakeOpenAIFetch(words) {
  const bodies = { true: streamBody(words, true), false: streamBody(words, false) };
  return async (_url, init) => {
    const body = JSON.parse(String(init?.body));
    if (!body.stream) return new Response(completionBody, { headers: { 'content-type': 'application/json' } });
    const includeUsage = body.stream_options?.include_usage === true;
    return new Response(bodies[String(includeUsage)], {
      headers: { 'content-type': 'text/event-stream' },
    });
  };
}
