import { isRecord } from '../json-shape.js';
import type { Operation } from '../record.js';
import type { StreamUsageOption } from './wire-format.js';

/**
 * OpenAI's `stream_options.include_usage`: Chat Completions and legacy Completions streams report usage (in one
 * extra chunk with empty `choices`, and `"usage": null` on every other chunk) only when the request sets it.
 * The Responses API always reports usage in `response.completed`; Embeddings do not stream.
 */
export const openAiStreamUsage: StreamUsageOption = {
  operations: new Set<Operation>(['chat', 'text_completion']),
  member: { name: 'stream_options', value: Object.freeze({ include_usage: true }) },
  asked(body) {
    if (!isRecord(body)) return false;
    const options = body.stream_options;
    return isRecord(options) && options.include_usage === true;
  },
  ask(body) {
    const options = body.stream_options;
    return {
      ...body,
      stream_options: isRecord(options) ? { ...options, include_usage: true } : { include_usage: true },
    };
  },
  refused(status, body) {
    // Azure OpenAI before 2024-09-01-preview: "Unrecognized request argument supplied: stream_options"; others
    // name the nested `include_usage`. Any other 400 is the caller's own mistake, passed on as it came.
    return status === 400 && STREAM_OPTIONS_NAMED.test(body);
  },
};

const STREAM_OPTIONS_NAMED = /stream_options|include_usage/;
