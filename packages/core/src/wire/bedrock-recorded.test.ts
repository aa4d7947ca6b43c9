import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Usage } from '../record.js';
import { bedrockWireFormat } from './bedrock.js';
import { BedrockInvokeStreamAccumulator, bedrockInvokeResponse } from './bedrock-invoke.js';
import type { StreamAccumulator, StreamEventKind } from './wire-format.js';

/**
 * Real AWS Bedrock Runtime responses, recorded from the live API by other public projects (fixtures/bedrock:
 * PROVENANCE.md, manifest.json), read through the Bedrock wire format. The SDK-level replay through the real
 * `@aws-sdk/client-bedrock-runtime` is test/sdk/bedrock-recorded.test.ts.
 */

const DIR = new URL('./fixtures/bedrock/', import.meta.url);

interface Entry {
  id: string;
  file: string;
  encoding: 'utf8' | 'base64';
  action: string;
  modelId: string;
  status: number;
  contentType: string;
  features: string[];
  bytes: number;
  sha256: string;
  provenance: {
    repository: string;
    commit: string;
    retrievedWith: string;
    readFileId: string;
    path: string;
    license: string;
    fidelity: string;
    changes: string[];
  };
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as { fixtures: Entry[] };

function entry(id: string): Entry {
  const found = manifest.fixtures.find((fixture) => fixture.id === id);
  if (found === undefined) throw new Error(`no fixture ${id}`);
  return found;
}

/** The response bytes a fixture stands for (a `.b64` file holds the recorded binary event stream as base64). */
function responseBytes(fixture: Entry): Buffer {
  const text = readFileSync(new URL(fixture.file, DIR), 'utf8');
  return fixture.encoding === 'base64' ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : Buffer.from(text);
}

const json = (id: string): unknown => JSON.parse(responseBytes(entry(id)).toString('utf8'));

interface EventMessage {
  headers: Record<string, string>;
  payload: Buffer;
}

/**
 * Splits an AWS event stream into its messages, checking both CRCs of each: a 12-byte prelude (total length,
 * headers length, prelude CRC32), headers (name length, name, type 7 = string, value length, value), the
 * payload, and the message CRC32. The recordings carry string headers only.
 */
function eventMessages(bytes: Buffer): EventMessage[] {
  const messages: EventMessage[] = [];
  for (let at = 0; at < bytes.length; ) {
    const total = bytes.readUInt32BE(at);
    const headersEnd = at + 12 + bytes.readUInt32BE(at + 4);
    expect(bytes.readUInt32BE(at + 8)).toBe(crc32(bytes.subarray(at, at + 8)));
    expect(bytes.readUInt32BE(at + total - 4)).toBe(crc32(bytes.subarray(at, at + total - 4)));
    const headers: Record<string, string> = {};
    for (let h = at + 12; h < headersEnd; ) {
      const nameLength = bytes.readUInt8(h);
      const name = bytes.toString('utf8', h + 1, h + 1 + nameLength);
      h += 1 + nameLength;
      expect(bytes.readUInt8(h)).toBe(7);
      const valueLength = bytes.readUInt16BE(h + 1);
      headers[name] = bytes.toString('utf8', h + 3, h + 3 + valueLength);
      h += 3 + valueLength;
    }
    messages.push({ headers, payload: bytes.subarray(headersEnd, at + total - 4) });
    at += total;
  }
  return messages;
}

function usage(input: number, output: number, cachedInput = 0, cacheWrite = 0): Usage {
  return { input, output, cachedInput, cacheWrite, reasoning: 0 };
}

interface Replay {
  kinds: StreamEventKind[];
  usage: Usage | undefined;
  finished: boolean;
  failed: boolean;
  outputText: string;
}

function replay(accumulator: StreamAccumulator, events: Iterable<[data: string, eventName?: string]>): Replay {
  const kinds = [...events].map(([data, eventName]) => accumulator.pushRaw(data, eventName));
  const summary = accumulator.summary();
  return {
    kinds,
    usage: summary.usage,
    finished: summary.finished,
    failed: summary.failed,
    outputText: summary.outputText(),
  };
}

/** A ConverseStream body, each message's payload with its `:event-type`, as the wire format takes it from the wire. */
function replayConverseStream(id: string): Replay {
  const messages = eventMessages(responseBytes(entry(id)));
  for (const message of messages) expect(message.headers[':message-type']).toBe('event');
  return replay(
    bedrockWireFormat.createStreamAccumulator('chat'),
    messages.map((message) => [message.payload.toString('utf8'), message.headers[':event-type']]),
  );
}

const C: StreamEventKind = 'content';
const O: StreamEventKind = 'other';

describe('recorded Bedrock fixtures: manifest', () => {
  it.each(manifest.fixtures.map((fixture) => [fixture.id, fixture] as const))(
    '%s: bytes and provenance',
    (_, fixture) => {
      const bytes = responseBytes(fixture);
      expect(bytes.length).toBe(fixture.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(fixture.sha256);
      expect(fixture.provenance.retrievedWith).toBe('read_file');
      expect(fixture.provenance.readFileId).toMatch(/^\d+$/);
      expect(fixture.provenance.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(['MIT', 'Apache-2.0']).toContain(fixture.provenance.license);
      expect(fixture.provenance.changes.length).toBeGreaterThan(0);
      if (fixture.encoding === 'base64') expect(eventMessages(bytes).length).toBeGreaterThan(0);
      else if (fixture.contentType === 'application/json')
        expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
    },
  );

  it('lists every file of the folder, once', () => {
    const files = manifest.fixtures.map((fixture) => fixture.file);
    expect(new Set(files).size).toBe(files.length);
    const present = readdirSync(DIR).filter((name) => name !== 'manifest.json' && name !== 'PROVENANCE.md');
    expect(present.sort()).toEqual([...files].sort());
  });

  it('covers what the Bedrock measurement needs', () => {
    const features = new Set(manifest.fixtures.flatMap((fixture) => fixture.features));
    for (const feature of ['cache-write', 'cache-read', 'tool-use', 'stream', 'reasoning', 'service-tier', 'error'])
      expect(features).toContain(feature);
    const actions = new Set(manifest.fixtures.map((fixture) => fixture.action));
    expect([...actions].sort()).toEqual(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);
  });
});

describe('recorded Bedrock Converse responses', () => {
  it.each([
    // inputTokens excludes cache reads and writes (totalTokens 1329 = 2 + 1322 + 5).
    ['converse-cache-write', usage(1324, 5, 0, 1322)],
    ['converse-cache-read', usage(1324, 5, 1322, 0)],
    ['converse-cache-read-system-prompt', usage(1517, 5, 1504, 0)],
    ['converse-tool-use', usage(551, 136)],
  ] as const)('%s', (id, expected) => {
    expect(bedrockWireFormat.parseResponse('chat', json(id))).toEqual({ usage: expected, responseModel: undefined });
  });

  it('keeps the service tier a response reports (flex), so that its price is looked up for that tier', () => {
    expect(bedrockWireFormat.parseResponse('chat', json('converse-service-tier-flex')).usage).toEqual({
      ...usage(13, 70),
      serviceTier: 'flex',
    });
  });

  it('leaves a response at the default tier as standard', () => {
    const body = { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, serviceTier: { type: 'default' } };
    expect(bedrockWireFormat.parseResponse('chat', body).usage).toEqual(usage(1, 2));
  });

  it('finds no usage in a recorded error body', () => {
    expect(bedrockWireFormat.parseResponse('chat', json('converse-error-400-invalid-model')).usage).toBeUndefined();
    expect(
      bedrockWireFormat.parseResponse('chat', json('converse-error-403-unrecognized-client')).usage,
    ).toBeUndefined();
  });
});

describe('recorded Bedrock ConverseStream bodies', () => {
  it('a short Claude Sonnet 4.6 answer: usage from metadata, after messageStop', () => {
    expect(replayConverseStream('converse-stream-short')).toEqual({
      kinds: [O, C, C, O, O, O],
      usage: usage(12, 5),
      finished: true,
      failed: false,
      outputText: 'OK.',
    });
  });

  it('extended thinking: reasoning text deltas are content, its signature is not', () => {
    const result = replayConverseStream('converse-stream-reasoning');
    // messageStart, 15 reasoning text deltas, an empty one and the signature (not content: no token), stop,
    // 3 text deltas, stop, messageStop, metadata.
    expect(result.kinds).toEqual([O, ...Array<StreamEventKind>(15).fill(C), O, O, O, C, C, C, O, O, O]);
    expect(result.usage).toEqual(usage(37, 74));
    expect(result.finished).toBe(true);
    expect(result.failed).toBe(false);
    expect(result.outputText).toBe(
      'The human has just said "Hello" to me. This is a simple greeting, so I should respond in a friendly and ' +
        "welcoming way. I'll keep my response warm but brief since they haven't asked anything specific yet." +
        'Hello! How are you doing today? Is there anything I can help you with?',
    );
  });

  it('a tool use: the tool block start and its input deltas are content', () => {
    const result = replayConverseStream('converse-stream-tool-use');
    // messageStart, 14 text deltas, stop, tool start, an empty tool-input delta, 4 tool-input deltas, stop,
    // messageStop, metadata.
    expect(result.kinds).toEqual([
      O,
      ...Array<StreamEventKind>(14).fill(C),
      O,
      C,
      O,
      ...Array<StreamEventKind>(4).fill(C),
      O,
      O,
      O,
    ]);
    expect(result.usage).toEqual(usage(236, 58));
    expect(result.finished).toBe(true);
    expect(result.outputText).toBe(
      'Okay, let me check the weather for Barcelona using the available tool:get_weather{"location": "Barcelona"}',
    );
  });
});

describe('recorded Bedrock ConverseStream bodies: what is content', () => {
  it('gpt-oss-120b opens with an empty text delta: not content (no token yet), the reasoning after it is', () => {
    expect(replayConverseStream('converse-stream-empty-text-delta')).toEqual({
      // messageStart, the empty text delta, stop, reasoning delta, stop, text delta, stop, messageStop, metadata.
      kinds: [O, O, O, C, O, C, O, O, O],
      usage: usage(66, 45),
      finished: true,
      failed: false,
      outputText:
        'We need to respond as ChatGPT. The user just said "Hi". Probably respond friendly and ask how can help.' +
        'Hello! 👋 How can I assist you today?',
    });
  });
});

describe('the service tier of streams (not in the recordings: shapes from the SDK models)', () => {
  it("a ConverseStream metadata event's serviceTier", () => {
    const accumulator = bedrockWireFormat.createStreamAccumulator('chat');
    accumulator.push({ metadata: { usage: { inputTokens: 3, outputTokens: 4 }, serviceTier: { type: 'priority' } } });
    expect(accumulator.summary().usage).toEqual({ ...usage(3, 4), serviceTier: 'priority' });
  });

  it("an InvokeModelWithResponseStream response's X-Amzn-Bedrock-Service-Tier, given to the accumulator", () => {
    const accumulator = new BedrockInvokeStreamAccumulator('anthropic.claude-3-sonnet-20240229-v1:0', 'chat', 'flex');
    accumulator.push({ type: 'message_start', message: { usage: { input_tokens: 16, output_tokens: 1 } } });
    accumulator.push({ type: 'message_delta', usage: { output_tokens: 21 } });
    expect(accumulator.summary().usage).toEqual({ ...usage(16, 21), serviceTier: 'flex' });
  });
});

describe('recorded Bedrock InvokeModel bodies for an Anthropic model', () => {
  const claude3 = 'anthropic.claude-3-sonnet-20240229-v1:0';

  it('InvokeModel: the Anthropic Messages body', () => {
    expect(bedrockInvokeResponse(claude3, json('invoke-anthropic-json'))).toEqual({
      usage: usage(16, 19),
      responseModel: undefined,
    });
  });

  it('InvokeModelWithResponseStream: Anthropic events in chunks, invocation metrics on the last', () => {
    const messages = eventMessages(responseBytes(entry('invoke-stream-anthropic')));
    expect(messages.map((message) => message.headers[':event-type'])).toEqual(Array(23).fill('chunk'));
    const chunks = messages.map((message) => {
      const { bytes } = JSON.parse(message.payload.toString('utf8')) as { bytes: string };
      return [Buffer.from(bytes, 'base64').toString('utf8')] as [string];
    });
    const result = replay(new BedrockInvokeStreamAccumulator(claude3), chunks);
    // message_start, block start, 18 text deltas, block stop, message_delta, message_stop.
    expect(result.kinds.filter((kind) => kind === C)).toHaveLength(18);
    expect(result.usage).toEqual(usage(16, 21));
    expect(result.finished).toBe(true);
    expect(result.failed).toBe(false);
    expect(result.outputText).toBe('Why did the distributed tracing span cross the road? To get to the other service!');
  });
});
