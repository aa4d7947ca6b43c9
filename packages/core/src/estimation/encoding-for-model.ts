/** The tiktoken encodings llmeter counts with. */
export type EncodingName = 'o200k_base' | 'cl100k_base';

// Checked in order; the first prefix that matches decides. `gpt-4o`/`gpt-4.1`/`gpt-4.5` come before `gpt-4`.
const PREFIXES: readonly (readonly [string, EncodingName])[] = [
  ['gpt-4o', 'o200k_base'],
  ['gpt-4.1', 'o200k_base'],
  ['gpt-4.5', 'o200k_base'],
  ['gpt-5', 'o200k_base'],
  ['gpt-oss', 'o200k_base'],
  ['chatgpt-4o', 'o200k_base'],
  ['o1', 'o200k_base'],
  ['o3', 'o200k_base'],
  ['o4', 'o200k_base'],
  ['codex-mini', 'o200k_base'],
  ['gpt-4', 'cl100k_base'],
  ['gpt-3.5', 'cl100k_base'],
  // Azure's spelling of gpt-3.5 deployments.
  ['gpt-35', 'cl100k_base'],
  ['text-embedding-3', 'cl100k_base'],
  ['text-embedding-ada-002', 'cl100k_base'],
];

/** For models of unknown origin: the encoding of current OpenAI models. */
const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/**
 * The encoding to count `model`'s tokens with.
 *
 * | models                                                                 | encoding      |
 * | ---------------------------------------------------------------------- | ------------- |
 * | gpt-4o, gpt-4.1, gpt-4.5, gpt-5, gpt-oss, chatgpt-4o, o1, o3, o4, codex-mini | `o200k_base`  |
 * | gpt-4 (incl. turbo), gpt-3.5, text-embedding-3, text-embedding-ada-002 | `cl100k_base` |
 * | anything else (Claude, Gemini, Llama, …)                               | `o200k_base`  |
 *
 * Matching ignores case, a `provider/` prefix (`openai/gpt-4o`) and a fine-tune's `ft:` prefix. Counts for
 * models outside OpenAI's families are approximate: Anthropic publishes no tokenizer for Claude, and other
 * vendors' tokenizers split text differently from tiktoken's.
 */
export function encodingForModel(model: string): EncodingName {
  let name = model.trim().toLowerCase();
  name = name.slice(name.lastIndexOf('/') + 1);
  if (name.startsWith('ft:')) name = name.slice(3);
  for (const [prefix, encoding] of PREFIXES) {
    if (name.startsWith(prefix)) return encoding;
  }
  return DEFAULT_ENCODING;
}
