import { field, isRecord } from '../json-shape.js';
import type { Operation } from '../record.js';
import { TextParts } from './text-parts.js';

/**
 * The prompt text of a Gemini request, for local token counting: the REST body (`contents`, `systemInstruction`,
 * `tools`; an embedding's `content` or `requests[].content`) or the Gen AI SDK's params (`contents` as a string,
 * a part, a content or a list of them; `config.systemInstruction`, `config.tools`). Never throws; odd shapes add
 * nothing.
 */
export function geminiRequestText(_operation: Operation, body: unknown): string {
  const parts = new TextParts('\n');
  if (!isRecord(body)) return '';
  try {
    const config = field(body, 'config');
    addContents(parts, body.systemInstruction ?? field(config, 'systemInstruction'));
    addContents(parts, body.contents);
    addContents(parts, body.content);
    const requests = body.requests;
    if (Array.isArray(requests)) for (const request of requests) addContents(parts, field(request, 'content'));
    parts.addJson(body.tools ?? field(config, 'tools'));
  } catch {
    // A body too odd to walk (a throwing getter) keeps whatever text was found before it.
  }
  return parts.text();
}

/** A string, a part, a content (`{ role, parts }`) or a list of any of them. */
function addContents(parts: TextParts, value: unknown): void {
  if (typeof value === 'string') {
    parts.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) addContents(parts, item);
    return;
  }
  if (!isRecord(value)) return;
  if (Array.isArray(value.parts)) {
    addContents(parts, value.parts);
    return;
  }
  parts.add(value.text);
  if (isRecord(value.functionCall)) parts.addJson(value.functionCall.args);
  if (isRecord(value.functionResponse)) parts.addJson(value.functionResponse.response);
}
