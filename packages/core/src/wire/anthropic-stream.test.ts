import { describe, expect, it } from 'vitest';
import { AnthropicStreamAccumulator, plainTextDelta } from './anthropic-stream.js';

const delta = (fields: Record<string, unknown>, event: Record<string, unknown> = {}) => ({
  type: 'content_block_delta',
  index: 0,
  delta: { type: 'text_delta', ...fields },
  ...event,
});

describe('plainTextDelta', () => {
  it('reads the text of a text delta with plain text, with or without its event name', () => {
    expect(plainTextDelta(delta({ text: 'Hi wörld 👋' }), 'content_block_delta')).toBe('Hi wörld 👋');
    expect(plainTextDelta(delta({ text: ' ok' }))).toBe(' ok');
    expect(plainTextDelta(delta({ text: 'x' }, { index: 3 }))).toBe('x');
  });

  it('is undefined for any other event: another name or type, other members, text to escape, no text', () => {
    const others: [unknown, string?][] = [
      [delta({ text: 'x' }), 'error'],
      [delta({ text: 'x' }), 'message_delta'],
      [delta({ text: 'x' }, { type: 'content_block_start' })],
      [{ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'x' } }],
      [{ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{}' } }],
      [delta({ text: 'x', citations: null })],
      [delta({ text: '' })],
      [delta({ text: 7 })],
      [delta({ text: 'say "hi"' })],
      [delta({ text: 'a\\b' })],
      [delta({ text: 'line\n' })],
      [delta({ text: 'tab\t' })],
      [{ type: 'content_block_delta', index: 0, delta: 'text' }],
      [null],
      ['content_block_delta'],
    ];
    for (const [event, name] of others) expect(plainTextDelta(event, name)).toBeUndefined();
  });

  it('a plain text delta is content to the accumulator, read for its text', () => {
    const accumulator = new AnthropicStreamAccumulator();
    const event = delta({ text: 'Hi' });
    expect(plainTextDelta(event, 'content_block_delta')).toBe('Hi');
    expect(accumulator.push(event, 'content_block_delta')).toBe('content');
    expect(accumulator.summary().outputText()).toBe('Hi');
  });
});
