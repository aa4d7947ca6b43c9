import { describe, expect, it } from 'vitest';
import { AiSdkStreamSummary } from './ai-sdk-stream.js';

const v4Usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

describe('AiSdkStreamSummary', () => {
  it('follows a V4 stream: content parts, response model, usage and a normal finish', () => {
    const summary = new AiSdkStreamSummary();
    expect(summary.push({ type: 'stream-start', warnings: [] })).toBe(false);
    expect(summary.push({ type: 'response-metadata', id: 'r', modelId: 'gpt-4o-2024-08-06' })).toBe(false);
    expect(summary.push({ type: 'text-delta', id: '0', delta: '' })).toBe(false);
    expect(summary.push({ type: 'text-delta', id: '0', delta: 'Hi' })).toBe(true);
    expect(summary.push({ type: 'reasoning-delta', id: '1', delta: ' think' })).toBe(true);
    expect(summary.push({ type: 'tool-input-delta', id: 'call_1', delta: '{"a":1}' })).toBe(true);
    // A tool call whose input came as deltas is not counted twice; one that came whole is output.
    expect(summary.push({ type: 'tool-call', toolCallId: 'call_1', toolName: 't', input: '{"a":1}' })).toBe(false);
    expect(summary.push({ type: 'tool-call', toolCallId: 'call_2', toolName: 't', input: '{}' })).toBe(true);
    summary.push({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: v4Usage });
    expect(summary.finished).toBe(true);
    expect(summary.failed).toBe(false);
    expect(summary.responseModel).toBe('gpt-4o-2024-08-06');
    expect(summary.usage).toEqual({ input: 10, output: 5, cachedInput: 0, cacheWrite: 0, reasoning: 0 });
    expect(summary.outputText()).toBe('Hi think{"a":1}{}');
    expect(summary.outputLength()).toBe(17);
  });

  it('takes a V2 string finish reason', () => {
    const summary = new AiSdkStreamSummary();
    summary.push({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } });
    expect(summary.finished).toBe(true);
    expect(summary.usage?.input).toBe(3);
  });

  it('does not count an interrupted finish as finished, and an error finish or part as failed', () => {
    const interrupted = new AiSdkStreamSummary();
    interrupted.push({ type: 'finish', finishReason: { unified: 'interrupted', raw: undefined }, usage: v4Usage });
    expect([interrupted.finished, interrupted.failed]).toEqual([false, false]);
    const errorFinish = new AiSdkStreamSummary();
    errorFinish.push({ type: 'finish', finishReason: { unified: 'error', raw: undefined }, usage: v4Usage });
    expect([errorFinish.finished, errorFinish.failed]).toEqual([false, true]);
    const errorPart = new AiSdkStreamSummary();
    errorPart.push({ type: 'error', error: { message: 'overloaded' } });
    expect(errorPart.failed).toBe(true);
  });

  it('keeps an error part that is the caller abort apart from a provider failure', () => {
    const summary = new AiSdkStreamSummary();
    const abort = new DOMException('This operation was aborted', 'AbortError');
    summary.push({ type: 'error', error: abort });
    expect(summary.failed).toBe(false);
    expect(summary.abortError).toBe(abort);
  });

  it('keeps a bounded sample of a long output and measures all of it', () => {
    const summary = new AiSdkStreamSummary();
    const piece = 'x'.repeat(50_000);
    for (let i = 0; i < 4; i++) summary.push({ type: 'text-delta', id: '0', delta: piece });
    expect(summary.outputLength()).toBe(200_000);
    expect(summary.outputText().length).toBe(64 * 1024);
  });
});
