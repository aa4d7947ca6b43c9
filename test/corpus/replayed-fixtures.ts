import type { WireFormat } from '@llmeter/core/wire';
import { wireFormats } from '@llmeter/core/wire';
import { type CorpusFixture, corpusFixtures, geminiFolderFixtures, requestBody, responseBytes } from './corpus.js';
import { type Bill, independentBill } from './independent-bill.js';

// Which recordings the corpus replay tests use, how llmeter labels them, and their independent bills.

/** The APIs llmeter reads, with the wire format that reads them. */
export const FORMATS: Readonly<Record<string, WireFormat>> = {
  'openai-chat-completions': wireFormats.openai,
  'openai-completions': wireFormats.openai,
  'openai-embeddings': wireFormats.openai,
  'openai-responses': wireFormats.openai,
  'anthropic-messages': wireFormats.anthropic,
  'gemini-generate-content': wireFormats.gemini,
  'gemini-stream-generate-content': wireFormats.gemini,
  'vertex-predict': wireFormats.gemini,
  'ollama-chat': wireFormats.ollama,
  'openai-responses-retrieve': wireFormats.openai,
  'openai-responses-compact': wireFormats.openai,
};

/** Every recording replayed: the manifest's, and the Gemini ones kept beside the Gemini wire format. */
export const allFixtures: CorpusFixture[] = [...corpusFixtures(), ...geminiFolderFixtures()];

/** The model a Gemini path names (`…/models/gemini-2.5-flash:generateContent`), by hand. */
export function pathModel(fixture: CorpusFixture): string | undefined {
  return /\/models\/([^/:]+):[A-Za-z]+$/.exec(fixture.endpoint.path)?.[1];
}

/** llmeter's `provider` label for a fixture's upstream: the route's name for those the proxy names, else the host. */
export function providerLabel(fixture: CorpusFixture): string {
  if (fixture.provider === 'openai' || fixture.provider === 'anthropic' || fixture.provider === 'ollama') {
    return fixture.provider;
  }
  if (fixture.provider === 'google') return fixture.endpoint.host.includes('aiplatform') ? 'vertex' : 'gemini';
  return fixture.endpoint.host;
}

/** genai-prices' provider for the same label, as a user of genai-prices would pick it by hand. */
function genaiProvider(fixture: CorpusFixture): string | undefined {
  const byName: Record<string, string | undefined> = {
    openai: 'openai',
    anthropic: 'anthropic',
    groq: 'groq',
    'azure-openai': 'azure',
    google: 'google',
    vllm: undefined,
    ollama: undefined,
  };
  return byName[fixture.provider];
}

/** The independent bill of a fixture (or of `text`, a part of its bytes). */
export function expectedBill(fixture: CorpusFixture, text = responseBytes(fixture).toString('utf8')): Bill | undefined {
  const model = String(requestBody(fixture)?.model ?? pathModel(fixture) ?? '');
  return independentBill(fixture, text, genaiProvider(fixture), model);
}

/** The providers whose recordings go through the front ends: every one the corpus has. */
const FRONT_END_PROVIDERS = new Set([
  'openai',
  'anthropic',
  'google',
  'ollama',
  'groq',
  'vllm',
  'azure-openai',
  'openrouter',
]);

/** The front ends' fixtures: every recording of those providers in an API llmeter reads, GET polls included. */
export const frontEndFixtures = allFixtures.filter(
  (fixture) =>
    FRONT_END_PROVIDERS.has(fixture.provider) && fixture.operation !== 'other' && FORMATS[fixture.api] !== undefined,
);

/** The fixtures with no SDK front end here, and why (the proxy replays them all the same). */
export const PROXY_ONLY: Readonly<Record<string, (fixture: CorpusFixture) => boolean>> = {
  'Ollama’s native API: llmeter instruments no Ollama SDK': (fixture) => fixture.provider === 'ollama',
  'a Gemini JSON-array stream: the Gen AI SDK always asks for ?alt=sse': (fixture) =>
    fixture.api === 'gemini-stream-generate-content' && !fixture.contentType.startsWith('text/event-stream'),
};

export const sdkFixtures = frontEndFixtures.filter(
  (fixture) => !Object.values(PROXY_ONLY).some((only) => only(fixture)),
);
