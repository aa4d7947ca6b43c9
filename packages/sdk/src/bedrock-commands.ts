/** How llmeter measures one `@aws-sdk/client-bedrock-runtime` command. */
export interface BedrockCommandSpec {
  /** `Converse*` bodies are Bedrock's own format; `InvokeModel*` bodies are the model provider's. */
  readonly api: 'converse' | 'invoke';
  readonly stream: boolean;
}

/**
 * The Bedrock Runtime commands that make a model call, by the `commandName` the SDK puts in each middleware's
 * context. Every other command (`CountTokens`, `ApplyGuardrail`, async invokes) is left alone.
 */
export const BEDROCK_COMMANDS: Readonly<Record<string, BedrockCommandSpec>> = {
  ConverseCommand: { api: 'converse', stream: false },
  ConverseStreamCommand: { api: 'converse', stream: true },
  InvokeModelCommand: { api: 'invoke', stream: false },
  InvokeModelWithResponseStreamCommand: { api: 'invoke', stream: true },
};
