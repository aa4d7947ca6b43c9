import { findProvider } from '@pydantic/genai-prices';

/**
 * The genai-prices provider id for one of llmeter's `provider` labels, or `undefined` when none fits (then
 * prices are looked up by model id alone).
 *
 * - A host (`api.groq.com`, `openrouter.ai`, `my-resource.openai.azure.com`) is matched against each
 *   provider's API URL pattern.
 * - A name is matched by id (`openai`, `anthropic`, `groq`, `azure`, …) or by genai-prices' own name rules
 *   (`gemini` and `vertex` are `google`, `bedrock` is `aws`, `xai` is `x-ai`, a name containing `openai` or
 *   `anthropic` is that provider).
 *
 * `azure` stays `azure`: genai-prices lists Azure's own prices and falls back to OpenAI's (then Anthropic's,
 * DeepSeek's, …) for models it does not list.
 */
export function genaiProviderId(provider: string): string | undefined {
  const label = provider.trim().toLowerCase();
  if (label === '') return undefined;
  // The SDK's Bedrock label: a name with a dot, not a host.
  if (label === 'aws.bedrock') return 'aws';
  if (/[.:/]/.test(label)) {
    const url = label.includes('://') ? label : `https://${label}`;
    return findProvider({ providerApiUrl: url })?.id;
  }
  return findProvider({ providerId: label })?.id;
}
