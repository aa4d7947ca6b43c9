import { isRecord } from '@llmeter/core/wire';

/** Which SDK a client comes from, as far as llmeter needs to know. */
export type ClientKind = 'openai' | 'anthropic' | 'gemini' | 'bedrock';

/** What {@link detectClient} found out about a client. */
export interface ClientShape {
  kind: ClientKind;
  /** The `provider` label when the user sets none. */
  provider: string;
}

const AZURE_HOST_SUFFIXES = ['.openai.azure.com', '.cognitiveservices.azure.com', '.services.ai.azure.com'];
const OPENAI_HOST = 'api.openai.com';

/** Whether `root.<path…>.<method>` is a function. */
export function hasMethod(root: unknown, path: readonly string[], method: string): boolean {
  const target = resolvePath(root, path);
  return target !== undefined && typeof target[method] === 'function';
}

/** The object at `root.<path…>`, if every step is an object. */
export function resolvePath(root: unknown, path: readonly string[]): Record<string, unknown> | undefined {
  let current: unknown = root;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return isRecord(current) ? current : undefined;
}

/**
 * Recognizes an `openai`, `@anthropic-ai/sdk` or `@google/genai` client by its shape rather than its class, so that
 * no SDK has to be installed (they are optional peers) and two copies of one SDK in a tree both work.
 *
 * The OpenAI client is the one with `chat.completions.create`; the Anthropic client has `messages.create` and
 * `messages.stream` but no `chat`; the Google Gen AI client (`GoogleGenAI`) has `models.generateContent`,
 * `models.generateContentStream` and `models.embedContent`. Returns `undefined` for anything else.
 */
export function detectClient(client: unknown): ClientShape | undefined {
  if (!isRecord(client)) return undefined;
  if (hasMethod(client, ['chat', 'completions'], 'create')) {
    return { kind: 'openai', provider: openAiProvider(client) };
  }
  if (hasMethod(client, ['messages'], 'create') && hasMethod(client, ['messages'], 'stream')) {
    return { kind: 'anthropic', provider: 'anthropic' };
  }
  if (
    hasMethod(client, ['models'], 'generateContent') &&
    hasMethod(client, ['models'], 'generateContentStream') &&
    hasMethod(client, ['models'], 'embedContent')
  ) {
    // Vertex AI and the Gemini API bill the same models at the same prices, but are different services to watch.
    return { kind: 'gemini', provider: client.vertexai === true ? 'vertex_ai' : 'gemini' };
  }
  // `@aws-sdk/client-bedrock-runtime`'s `BedrockRuntimeClient` (or its aggregated `BedrockRuntime`): a Smithy
  // client, measured through its middleware stack.
  if (
    typeof client.send === 'function' &&
    hasMethod(client, ['middlewareStack'], 'add') &&
    isRecord(client.config) &&
    client.config.serviceId === 'Bedrock Runtime'
  ) {
    return { kind: 'bedrock', provider: 'aws.bedrock' };
  }
  return undefined;
}

/**
 * `azure` for an Azure OpenAI client or base URL, `openai` for OpenAI's own API (or a base URL that cannot be
 * read), else the base URL's host (with its port, which tells apart two local servers): `localhost:11434`,
 * `openrouter.ai`.
 */
export function openAiProvider(client: Record<string, unknown>): string {
  const constructorName = typeof client.constructor === 'function' ? client.constructor.name : undefined;
  if (constructorName === 'AzureOpenAI') return 'azure';
  const baseURL = client.baseURL;
  if (typeof baseURL !== 'string') return 'openai';
  let host: string;
  let hostname: string;
  try {
    const url = new URL(baseURL);
    host = url.host;
    hostname = url.hostname.toLowerCase();
  } catch {
    return 'openai';
  }
  if (AZURE_HOST_SUFFIXES.some((suffix) => hostname.endsWith(suffix))) return 'azure';
  if (hostname === OPENAI_HOST || host === '') return 'openai';
  return host.toLowerCase();
}
