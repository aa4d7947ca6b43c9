import { isRecord } from '@llmeter/core/wire';

/** One message of an OpenAI chat body: all core needs to count a prompt's tokens. */
interface ChatMessage {
  role: string;
  content: string;
}

/**
 * An AI SDK prompt (the `prompt` of a language model call: system, user, assistant and tool messages of typed
 * parts) as an OpenAI chat request body, so that core counts its tokens the way it counts any chat prompt when
 * a stream ends without reported usage. Text and reasoning parts are kept, tool calls' inputs and tool results'
 * outputs and the tool definitions as JSON; files and images are left out (they are not text to count).
 */
export function aiSdkPromptAsChatBody(params: unknown): { messages: ChatMessage[]; tools?: unknown } {
  const prompt = isRecord(params) ? params.prompt : undefined;
  const tools = isRecord(params) && Array.isArray(params.tools) ? params.tools : undefined;
  const messages: ChatMessage[] = [];
  if (!Array.isArray(prompt)) return { messages };
  for (const message of prompt) {
    if (!isRecord(message)) continue;
    const role = typeof message.role === 'string' ? message.role : 'user';
    const { content } = message;
    if (typeof content === 'string') {
      messages.push({ role, content });
    } else if (Array.isArray(content)) {
      messages.push({
        role,
        content: content
          .map(partText)
          .filter((text) => text !== '')
          .join('\n'),
      });
    }
  }
  return tools === undefined ? { messages } : { messages, tools };
}

function partText(part: unknown): string {
  if (!isRecord(part)) return '';
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return typeof part.text === 'string' ? part.text : '';
    case 'tool-call':
      return jsonText(part.input);
    case 'tool-result':
      return jsonText(isRecord(part.output) ? part.output.value : part.output);
  }
  return '';
}

function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    // A value without JSON (cyclic, BigInt) has no text to count either.
    return '';
  }
}
