import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CorpusEntry } from '../../packages/core/src/wire/corpus-manifest.test-support.js';
import type { ReplayAnswer } from '../support/replay-upstream.js';

/** The corpus of real recorded provider responses (see its PROVENANCE.md). */
export const CORPUS_DIR = resolve(import.meta.dirname, '../../packages/core/src/wire/fixtures/corpus');

/** One entry of corpus.json, as far as these tests read it. */
export type CorpusFixture = CorpusEntry;

/** Every fixture of the manifest, in its order. */
export function corpusFixtures(): CorpusFixture[] {
  const manifest = JSON.parse(readFileSync(resolve(CORPUS_DIR, 'corpus.json'), 'utf8')) as {
    fixtures: CorpusFixture[];
  };
  return manifest.fixtures;
}

/**
 * The recorded Gemini responses kept beside the Gemini wire format (`fixtures/gemini/`, provenance in its README)
 * that the manifest does not list, described as manifest entries: the endpoints are those the recordings answered
 * (the model of `stream-usage-all-counts.sse`, a single usage event the AI SDK kept without its model, is the
 * one its source test asked for). `stream-short.sse` is `google/stream-generate-content-sse-thoughts` of the
 * manifest, byte for byte, so it is not listed twice.
 */
export function geminiFolderFixtures(): CorpusFixture[] {
  const api = (method: string) =>
    method === 'streamGenerateContent' ? 'gemini-stream-generate-content' : 'gemini-generate-content';
  const gemini = (name: string, model: string, method: string, query?: string): CorpusFixture => {
    const sse = query === 'alt=sse';
    const stream = method === 'streamGenerateContent';
    return {
      id: `gemini-folder/${name.replace(/\.[a-z]+$/, '')}`,
      api: api(method),
      provider: 'google',
      operation: 'chat',
      endpoint: {
        method: 'POST',
        host: 'generativelanguage.googleapis.com',
        path: `/v1beta/models/${model}:${method}`,
        ...(query === undefined ? {} : { query }),
      },
      stream,
      status: 200,
      contentType: sse ? 'text/event-stream' : 'application/json; charset=UTF-8',
      features: [],
      files: { response: `../gemini/${name}` },
    };
  };
  return [
    gemini('stream-thinking.sse', 'gemini-2.5-pro', 'streamGenerateContent', 'alt=sse'),
    // The one event the AI SDK kept of a live stream: no finishReason, so no end marker (a stream_error to llmeter).
    {
      ...gemini('stream-usage-all-counts.sse', 'gemini-2.5-flash', 'streamGenerateContent', 'alt=sse'),
      features: ['no-end-marker'],
    },
    gemini('generate-cached-thinking.json', 'gemini-2.5-flash', 'generateContent'),
    gemini('generate-safety-blocked.json', 'gemini-2.5-flash', 'generateContent'),
    // The default framing of streamGenerateContent (no `?alt=sse`): one JSON array, sent as it is produced.
    gemini('stream-json-array.json', 'gemini-1.0-pro', 'streamGenerateContent'),
    {
      id: 'gemini-folder/vertex-predict-embed',
      api: 'vertex-predict',
      provider: 'google',
      operation: 'embeddings',
      endpoint: {
        method: 'POST',
        host: 'us-central1-aiplatform.googleapis.com',
        path: '/v1beta1/publishers/google/models/gemini-embedding-001:predict',
      },
      stream: false,
      status: 200,
      contentType: 'application/json; charset=UTF-8',
      features: [],
      files: { response: '../gemini/vertex-predict-embed.json' },
    },
  ];
}

/** A fixture's response bytes, exactly as stored. */
export function responseBytes(fixture: CorpusFixture): Buffer {
  return readFileSync(resolve(CORPUS_DIR, fixture.files.response));
}

/** A fixture's request body (parsed), when the corpus kept one. */
export function requestBody(fixture: CorpusFixture): Record<string, unknown> | undefined {
  if (fixture.files.request === undefined) return undefined;
  return JSON.parse(readFileSync(resolve(CORPUS_DIR, fixture.files.request), 'utf8')) as Record<string, unknown>;
}

/** A fixture by id. */
export function corpusFixture(id: string): CorpusFixture {
  const fixture = corpusFixtures().find((one) => one.id === id);
  if (fixture === undefined) throw new Error(`no corpus fixture ${id}`);
  return fixture;
}

/** A corpus recording as a replay answer: its status, content type and bytes as the provider sent them. */
export function corpusAnswer(id: string): ReplayAnswer {
  const fixture = corpusFixture(id);
  return { status: fixture.status, contentType: fixture.contentType, body: responseBytes(fixture) };
}

/** The request body a corpus recording was answered to, as recorded. */
export function corpusRequest(id: string): Buffer {
  const fixture = corpusFixture(id);
  if (fixture.files.request === undefined) throw new Error(`no recorded request for corpus fixture ${id}`);
  return readFileSync(resolve(CORPUS_DIR, fixture.files.request));
}
