import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The corpus of real recorded provider responses (see its PROVENANCE.md). */
export const CORPUS_DIR = resolve(import.meta.dirname, '../../packages/core/src/wire/fixtures/corpus');

/** One entry of corpus.json, as far as these tests read it. */
export interface CorpusFixture {
  id: string;
  api: string;
  provider: string;
  operation: string;
  endpoint: { method: string; host: string; path: string; query?: string };
  stream: boolean;
  status: number;
  contentType: string;
  features: string[];
  files: { response: string; request?: string };
}

/** Every fixture of the manifest, in its order. */
export function corpusFixtures(): CorpusFixture[] {
  const manifest = JSON.parse(readFileSync(resolve(CORPUS_DIR, 'corpus.json'), 'utf8')) as {
    fixtures: CorpusFixture[];
  };
  return manifest.fixtures;
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
