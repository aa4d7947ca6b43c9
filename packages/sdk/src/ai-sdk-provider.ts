/**
 * llmeter's `provider` label for an AI SDK model's `provider` id (`openai.chat`, `anthropic.messages`,
 * `google.generative-ai`, `google.vertex.chat`, `azure.responses`, `amazon-bedrock`, `groq.chat`, …): the id's
 * first segment, with the names the other front ends use for the same services, so that one service has one
 * label whichever way it is called (`google` → `gemini`, Vertex AI → `vertex_ai`, Bedrock → `aws.bedrock`).
 * An empty id gives `unknown`.
 */
export function aiSdkProviderLabel(providerId: string): string {
  const id = providerId.trim().toLowerCase();
  const [first = '', second] = id.split('.');
  if (first === 'google' || first === 'google-vertex')
    return second === 'vertex' || first === 'google-vertex' ? 'vertex_ai' : 'gemini';
  if (first === 'vertex') return 'vertex_ai';
  if (first === 'amazon-bedrock' || first === 'bedrock') return 'aws.bedrock';
  if (first === 'azure-openai') return 'azure';
  return first === '' ? 'unknown' : first;
}
