/** The parts of an OpenAI Responses stream event the background tests read. */
interface ResponsesStreamEvent {
  type: string;
  sequence_number: number;
  response?: { id: string };
}

/**
 * Reads a background Responses stream up to its first text delta, as a client that stops early does; resolves to
 * the response's id and the last sequence number read (where a resume with `starting_after` picks up).
 *
 * @example
 * ```ts
 * const stream = await openai.responses.create({ model: 'gpt-4o', input: 'hi', background: true, stream: true });
 * const { id, cursor } = await readUntilFirstTextDelta(stream);
 * await openai.responses.retrieve(id, { stream: true, starting_after: cursor });
 * ```
 */
export async function readUntilFirstTextDelta(
  stream: AsyncIterable<ResponsesStreamEvent>,
): Promise<{ id: string; cursor: number }> {
  let id = '';
  let cursor = -1;
  for await (const event of stream) {
    if (event.type === 'response.created' && event.response !== undefined) id = event.response.id;
    cursor = event.sequence_number;
    if (event.type === 'response.output_text.delta') break;
  }
  return { id, cursor };
}
