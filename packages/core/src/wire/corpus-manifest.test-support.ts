import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Test support: the shape of `fixtures/corpus/corpus.json`, the manifest of real recorded provider responses,
 * declared once for the corpus's own tests here and the cross-package tests in test/corpus/. Not exported from the
 * package; `*.test-support.ts` is left out of its build and of its published files.
 */

/** The folder of the corpus (its manifest, recordings, licenses and PROVENANCE.md). */
export const CORPUS_DIR = fileURLToPath(new URL('./fixtures/corpus/', import.meta.url));

/** How close the stored bytes are to what the provider sent. */
export type CorpusFidelity = 'exact' | 'exact-decoded' | 'reserialized-json' | 'reframed-sse';

/** Where a recording came from and how it was obtained. */
export interface CorpusProvenance {
  repository: string;
  /** The commit of the stored version that was read (the index answers with it). */
  commit: string;
  /** How the bytes were obtained: read through the public code index's stored text, never a repository snapshot. */
  retrievedWith: 'read_file';
  /** The index's id for the stored file version that was read. */
  readFileId: string;
  /** How the recording was found in the stored text, when that took more than one plain read. */
  retrievalNote?: string;
  path: string;
  interaction?: number;
  license: string;
  recordedAt: string;
  recordedAtSource: string;
  fidelity: CorpusFidelity;
  changes: string[];
  statusSource?: string;
}

/** What a recording is and where its bytes are: the part of a manifest entry that replaying it needs. */
export interface CorpusEntry {
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
  sequence?: { id: string; step: number };
}

/** One entry of the manifest, whole: the recording, its checksum and size, and its provenance. */
export interface CorpusFixture extends CorpusEntry {
  sha256: string;
  bytes: number;
  notes?: string;
  request?: { omitted: string; topLevelFields: Record<string, unknown> | null };
  provenance: CorpusProvenance;
}

/** A category the corpus has no readable real recording for, and what was searched. */
export interface CorpusGap {
  category: string;
  wanted: string;
  searched: string;
  found: string;
}

/** The manifest, `corpus.json`. */
export interface CorpusManifest {
  schema: number;
  description: string;
  gaps: CorpusGap[];
  fixtures: CorpusFixture[];
}

/** The manifest as the file says it (its shape is checked by the corpus's tests, not here). */
export function readCorpusManifest(): CorpusManifest {
  return JSON.parse(readFileSync(join(CORPUS_DIR, 'corpus.json'), 'utf8')) as CorpusManifest;
}
