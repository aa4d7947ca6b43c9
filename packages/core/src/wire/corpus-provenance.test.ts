import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CORPUS_DIR,
  type CorpusFidelity,
  type CorpusFixture,
  readCorpusManifest,
} from './corpus-manifest.test-support.js';

/**
 * The corpus of real provider responses (recorded by other public projects against the live APIs) and its
 * manifest. These tests guard the data itself: that every fixture says where it came from, that its bytes are
 * the ones recorded, and that the corpus still covers what the billing work needs. Every fixture was read from a
 * public code index's stored text of its source repository (`retrievedWith: 'read_file'`, with the stored
 * version's commit and id), never taken from a repository snapshot. Replaying the fixtures through the front
 * ends is a separate test.
 */

const corpus = readCorpusManifest();
const fixtures = corpus.fixtures;

function bytesOf(file: string): Buffer {
  return readFileSync(join(CORPUS_DIR, file));
}

function textOf(fixture: CorpusFixture): string {
  return bytesOf(fixture.files.response).toString('utf8');
}

function has(fixture: CorpusFixture, ...features: string[]): boolean {
  return features.every((feature) => fixture.features.includes(feature));
}

/** The `data:` payloads of an SSE body, as the spec splits them (CR, LF or CRLF line ends). */
function sseDataPayloads(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart());
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [relative(CORPUS_DIR, join(dir, entry.name))],
  );
}

const ALLOWED_LICENSES = ['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause'];
const FIDELITIES: CorpusFidelity[] = ['exact', 'exact-decoded', 'reserialized-json', 'reframed-sse'];
const OPERATIONS = ['chat', 'responses', 'embeddings', 'text_completion', 'other'];
const EXTENSIONS = ['json', 'sse', 'ndjson'];

/** Features whose presence can be read off the response bytes: the manifest's claim must show in them. */
const FEATURE_MARKERS: Record<string, RegExp> = {
  'reasoning-tokens': /"reasoning_tokens": ?[1-9]/,
  'cached-tokens': /"cached_tokens": ?[1-9]/,
  'audio-input-tokens': /"(prompt|input)_tokens_details": ?\{[^}]*"audio_tokens": ?[1-9]/,
  'cache-write': /"cache_creation_input_tokens": ?[1-9]/,
  'cache-read': /"cache_read_input_tokens": ?[1-9]/,
  'cache-write-5m': /"ephemeral_5m_input_tokens": ?[1-9]/,
  'cache-write-1h': /"ephemeral_1h_input_tokens": ?[1-9]/,
  'cache-creation-breakdown': /"cache_creation": ?\{/,
  'web-search-requests': /"web_search_requests": ?[1-9]/,
  'web-fetch-requests': /"web_fetch_requests": ?[1-9]/,
  iterations: /"iterations": ?\[/,
  compaction: /"type": ?"compaction"/,
  advisor: /"type": ?"advisor_message"/,
  thinking: /"type": ?"(redacted_)?thinking"/,
  'tool-calls': /"tool_calls"|"type": ?"(function_call|tool_use)"|"functionCall"/,
  'web-search-call': /"type": ?"web_search_call"/,
  'thoughts-tokens': /"thoughtsTokenCount": ?[1-9]/,
  'cached-content-tokens': /"cachedContentTokenCount": ?[1-9]/,
  grounding: /"groundingMetadata"/,
  'x-groq-usage': /"x_groq":\{[^{}]*"usage":\{/,
  'service-tier-flex': /"service_tier": ?"flex"/,
  'service-tier-priority': /"service_tier": ?"priority"/,
  'ollama-eval-counts': /"prompt_eval_count": ?\d+/,
  'azure-content-filter': /"(prompt_filter_results|content_filter_results)"/,
  background: /"background": ?true/,
  'status-queued': /"status": ?"queued"/,
  'usage-null': /"usage": ?null/,
  'sse-comments': /^:/m,
  'error-event': /"type": ?"error"|"error": ?\{/,
};

/** What the billing work needs real recordings of; each must match at least one fixture. */
const REQUIRED: Record<string, (f: CorpusFixture) => boolean> = {
  'OpenAI chat, JSON': (f) =>
    f.provider === 'openai' && f.api === 'openai-chat-completions' && !f.stream && f.status === 200,
  'OpenAI chat, stream with usage': (f) =>
    f.provider === 'openai' && f.api === 'openai-chat-completions' && has(f, 'stream-usage'),
  'OpenAI chat, stream without usage': (f) => f.api === 'openai-chat-completions' && f.stream && has(f, 'no-usage'),
  'OpenAI chat, tool calls': (f) =>
    f.provider === 'openai' && f.api === 'openai-chat-completions' && has(f, 'tool-calls'),
  'OpenAI chat, reasoning tokens': (f) =>
    f.provider === 'openai' && f.api === 'openai-chat-completions' && has(f, 'reasoning-tokens'),
  'OpenAI chat, cached prompt tokens': (f) =>
    f.provider === 'openai' && f.api === 'openai-chat-completions' && has(f, 'cached-tokens'),
  'OpenAI audio tokens': (f) => f.provider === 'openai' && has(f, 'audio-input-tokens'),
  'OpenAI service tier flex': (f) => f.provider === 'openai' && has(f, 'service-tier-flex'),
  'OpenAI service tier priority': (f) => f.provider === 'openai' && has(f, 'service-tier-priority'),
  'OpenAI Responses, JSON': (f) => f.api === 'openai-responses' && !f.stream && f.status === 200 && has(f, 'usage'),
  'OpenAI Responses, stream': (f) => f.api === 'openai-responses' && has(f, 'stream-usage'),
  'OpenAI Responses, background create (queued, no usage)': (f) =>
    f.api === 'openai-responses' && has(f, 'background', 'status-queued', 'usage-null'),
  'OpenAI Responses, background poll GET /v1/responses/{id}': (f) =>
    f.api === 'openai-responses-retrieve' && f.endpoint.method === 'GET' && !f.stream && has(f, 'usage'),
  'OpenAI Responses, background resume stream GET /v1/responses/{id}?stream=true&starting_after=N': (f) =>
    f.api === 'openai-responses-retrieve' &&
    f.endpoint.method === 'GET' &&
    f.stream &&
    (f.endpoint.query ?? '').includes('starting_after=') &&
    has(f, 'stream-usage'),
  'OpenAI Responses, web_search_call items': (f) => f.provider === 'openai' && has(f, 'web-search-call'),
  'OpenAI embeddings': (f) => f.api === 'openai-embeddings' && f.status === 200 && has(f, 'usage'),
  'OpenAI legacy completions, JSON': (f) => f.api === 'openai-completions' && !f.stream && f.status === 200,
  'OpenAI legacy completions, stream': (f) => f.api === 'openai-completions' && f.stream,
  'Anthropic messages, JSON': (f) => f.api === 'anthropic-messages' && !f.stream && f.status === 200,
  'Anthropic messages, stream': (f) => f.api === 'anthropic-messages' && has(f, 'stream-usage'),
  'Anthropic cache write': (f) => f.provider === 'anthropic' && has(f, 'cache-write'),
  'Anthropic cache read': (f) => f.provider === 'anthropic' && has(f, 'cache-read'),
  'Anthropic cache_creation breakdown (5m / 1h)': (f) => f.provider === 'anthropic' && has(f, 'cache-write-5m'),
  'Anthropic 1-hour cache write': (f) => f.provider === 'anthropic' && has(f, 'cache-write-1h'),
  'Anthropic thinking': (f) => f.provider === 'anthropic' && has(f, 'thinking'),
  'Anthropic tool use': (f) => f.provider === 'anthropic' && has(f, 'tool-calls'),
  'Anthropic web search (server_tool_use.web_search_requests)': (f) => has(f, 'web-search-requests'),
  'Anthropic compaction (usage.iterations), JSON': (f) => !f.stream && has(f, 'compaction', 'iterations'),
  'Anthropic compaction (usage.iterations), stream': (f) => f.stream && has(f, 'compaction', 'iterations'),
  'Anthropic advisor': (f) => has(f, 'advisor', 'iterations'),
  'OpenAI error status with JSON body': (f) => f.provider === 'openai' && f.status >= 400 && !f.stream,
  'Anthropic error status with JSON body': (f) => f.provider === 'anthropic' && f.status >= 400 && !f.stream,
  'Anthropic billing refusal (credit balance)': (f) =>
    f.provider === 'anthropic' && f.status === 400 && f.id.includes('credit-balance'),
  'error inside a 200 stream': (f) => f.stream && f.status === 200 && has(f, 'error-event'),
  'Gemini JSON usageMetadata': (f) => f.api === 'gemini-generate-content' && f.status === 200 && has(f, 'usage'),
  'Gemini SSE': (f) => f.api === 'gemini-stream-generate-content' && has(f, 'stream-usage'),
  'Gemini thoughtsTokenCount': (f) => has(f, 'thoughts-tokens'),
  'Gemini cachedContentTokenCount': (f) => has(f, 'cached-content-tokens'),
  vLLM: (f) => f.provider === 'vllm',
  'Groq x_groq.usage': (f) => f.provider === 'groq' && has(f, 'x-groq-usage'),
  'Ollama /api/chat prompt_eval_count / eval_count': (f) => f.api === 'ollama-chat' && has(f, 'ollama-eval-counts'),
  'Azure OpenAI': (f) => f.provider === 'azure-openai',
};

/** Categories the corpus has no readable real recording for: the manifest lists them as gaps, and no fixture may match them. */
const GAPS: Record<string, (f: CorpusFixture, text: string) => boolean> = {
  'openai-audio-output-tokens': (_f, text) =>
    /"(completion|output)_tokens_details": ?\{[^}]*"audio_tokens": ?[1-9]/.test(text),
  'openai-anthropic-rate-limit-and-server-errors': (f, text) =>
    (f.provider === 'openai' || f.provider === 'anthropic') &&
    (f.status >= 500 || /rate_limit_exceeded|rate_limit_error|overloaded_error|"server_error"/.test(text)),
  'cut-streams': (f) => has(f, 'cut-stream'),
};

const SECRET_PATTERNS = [
  /sk-[A-Za-z0-9_-]{16,}/,
  /sk-ant-[A-Za-z0-9_-]{10,}/,
  /AIza[0-9A-Za-z_-]{30,}/,
  /gsk_[A-Za-z0-9]{20,}/,
  /Bearer\s+[A-Za-z0-9._-]{20,}/,
  /"api[_-]?key"\s*:\s*"[^"]{8,}"/i,
  /AKIA[0-9A-Z]{16}/,
];

describe('corpus manifest', () => {
  it('lists at least 60 fixtures, each with a unique provider/name id', () => {
    expect(corpus.schema).toBe(1);
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
    const ids = fixtures.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of fixtures) {
      expect(f.id, f.id).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
      expect(f.id.split('/')[0], f.id).toBe(f.provider);
    }
  });

  it('gives every fixture complete provenance', () => {
    for (const f of fixtures) {
      const p = f.provenance;
      expect(p.repository, f.id).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
      expect(p.commit, f.id).toMatch(/^[0-9a-f]{40}$/);
      expect(p.retrievedWith, f.id).toBe('read_file');
      expect(p.readFileId, f.id).toMatch(/^\d+$/);
      if (p.retrievalNote !== undefined) expect(p.retrievalNote.length, f.id).toBeGreaterThan(0);
      expect(p.path.length, f.id).toBeGreaterThan(0);
      expect(p.path.startsWith('/'), f.id).toBe(false);
      expect(ALLOWED_LICENSES, f.id).toContain(p.license);
      expect(Number.isNaN(Date.parse(p.recordedAt)), `${f.id} recordedAt ${p.recordedAt}`).toBe(false);
      expect(Date.parse(p.recordedAt), f.id).toBeGreaterThan(Date.parse('2023-01-01T00:00:00Z'));
      expect(p.recordedAtSource.length, f.id).toBeGreaterThan(0);
      expect(FIDELITIES, f.id).toContain(p.fidelity);
      expect(p.changes.length, f.id).toBeGreaterThan(0);
      // A cassette holds several interactions: say which one.
      if (/\.ya?ml$/.test(p.path)) expect(Number.isInteger(p.interaction), f.id).toBe(true);
    }
  });

  it('describes each fixture consistently with its bytes', () => {
    for (const f of fixtures) {
      expect(OPERATIONS, f.id).toContain(f.operation);
      expect(['GET', 'POST'], f.id).toContain(f.endpoint.method);
      expect(f.endpoint.path.startsWith('/'), f.id).toBe(true);
      expect(Number.isInteger(f.status) && f.status >= 200 && f.status < 600, f.id).toBe(true);
      const ext = f.files.response.split('.').pop() ?? '';
      expect(EXTENSIONS, f.id).toContain(ext);
      expect(f.files.response, f.id).toBe(`${f.id}.${ext}`);
      if (f.files.request !== undefined) expect(f.files.request, f.id).toBe(`${f.id}.request.json`);
      expect(f.stream, f.id).toBe(ext !== 'json');
      expect(/event-stream|ndjson/.test(f.contentType), f.id).toBe(f.stream);
      expect(f.features.includes('error-status'), f.id).toBe(f.status >= 400);
    }
  });

  it('numbers the steps of each recorded sequence 1..n, all from one cassette', () => {
    const sequences = new Map<string, CorpusFixture[]>();
    for (const f of fixtures) {
      if (f.sequence === undefined) continue;
      sequences.set(f.sequence.id, [...(sequences.get(f.sequence.id) ?? []), f]);
    }
    expect(sequences.size).toBeGreaterThan(0);
    for (const [id, steps] of sequences) {
      expect(steps.map((f) => f.sequence?.step).sort(), id).toEqual(steps.map((_, i) => i + 1));
      expect(new Set(steps.map((f) => `${f.provenance.repository}:${f.provenance.path}`)).size, id).toBe(1);
    }
  });

  it('has exactly the files it lists, plus its documentation and license texts', () => {
    const listed = fixtures.flatMap((f) => [
      f.files.response,
      ...(f.files.request === undefined ? [] : [f.files.request]),
    ]);
    const extra = [
      'corpus.json',
      'PROVENANCE.md',
      '.gitattributes',
      'licenses/Apache-2.0.txt',
      'licenses/MIT-pydantic-ai.txt',
    ];
    expect(listFiles(CORPUS_DIR).sort()).toEqual([...listed, ...extra].sort());
  });
});

describe('fixture bytes', () => {
  it('are the recorded bytes: SHA-256 and size match the manifest', () => {
    for (const f of fixtures) {
      const bytes = bytesOf(f.files.response);
      expect(bytes.length, f.id).toBe(f.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), f.id).toBe(f.sha256);
    }
  });

  it('parse: JSON as JSON, SSE as data: lines of JSON, NDJSON line by line', () => {
    let sse = 0;
    for (const f of fixtures) {
      const text = textOf(f);
      const ext = f.files.response.split('.').pop();
      if (ext === 'json') {
        expect(() => JSON.parse(text), f.id).not.toThrow();
      } else if (ext === 'sse') {
        sse++;
        const payloads = sseDataPayloads(text);
        expect(payloads.length, f.id).toBeGreaterThan(0);
        for (const payload of payloads) {
          if (payload !== '[DONE]') expect(() => JSON.parse(payload), `${f.id}: ${payload.slice(0, 80)}`).not.toThrow();
        }
      } else {
        const lines = text.split('\n').filter((line) => line.trim() !== '');
        expect(lines.length, f.id).toBeGreaterThan(0);
        for (const line of lines) expect(() => JSON.parse(line), f.id).not.toThrow();
      }
    }
    expect(sse).toBeGreaterThanOrEqual(15);
  });

  it('keep request bodies that parse as JSON, or say why the request was left out', () => {
    for (const f of fixtures) {
      if (f.files.request !== undefined) {
        const request: unknown = JSON.parse(bytesOf(f.files.request).toString('utf8'));
        expect(typeof request, f.id).toBe('object');
      } else if (f.request !== undefined) {
        expect(f.request.omitted.length, f.id).toBeGreaterThan(0);
      }
    }
  });

  it('contain no credentials', () => {
    for (const file of listFiles(CORPUS_DIR).filter((name) => !name.startsWith('licenses/'))) {
      const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
      for (const pattern of SECRET_PATTERNS) expect(pattern.test(text), `${file} ${pattern}`).toBe(false);
    }
  });

  it('show every feature the manifest claims for them', () => {
    for (const f of fixtures) {
      const text = textOf(f);
      for (const feature of f.features) {
        const marker = FEATURE_MARKERS[feature];
        if (marker !== undefined) expect(marker.test(text), `${f.id} claims ${feature}`).toBe(true);
      }
      const hasUsage = /"usage(Metadata)?": ?\{|"prompt_eval_count"/.test(text);
      if (f.features.includes('usage')) expect(hasUsage, `${f.id} claims usage`).toBe(true);
      if (f.features.includes('no-usage')) expect(hasUsage, `${f.id} claims no usage`).toBe(false);
    }
  });
});

describe('corpus coverage', () => {
  it('covers every category the billing work needs with at least one real recording', () => {
    const uncovered = Object.entries(REQUIRED)
      .filter(([, matches]) => !fixtures.some(matches))
      .map(([name]) => name);
    expect(uncovered).toEqual([]);
  });

  it('lists as gaps exactly the categories it has no recording for', () => {
    expect(corpus.gaps.map((gap) => gap.category).sort()).toEqual(Object.keys(GAPS).sort());
    for (const gap of corpus.gaps) {
      expect(gap.wanted.length * gap.searched.length * gap.found.length, gap.category).toBeGreaterThan(0);
      const matches = GAPS[gap.category];
      const covered = fixtures.filter((f) => matches?.(f, textOf(f)) === true).map((f) => f.id);
      // When a recording turns up, add it and drop the gap.
      expect(covered, gap.category).toEqual([]);
    }
  });
});
