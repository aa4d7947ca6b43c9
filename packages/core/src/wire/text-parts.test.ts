import { describe, expect, it } from 'vitest';
import { TextParts } from './text-parts.js';

describe('TextParts', () => {
  it('joins what it was given, once', () => {
    const parts = new TextParts('\n');
    parts.add('a');
    parts.add(42);
    parts.add('');
    parts.add('b');
    expect(parts.text()).toBe('a\nb');
    expect(parts.length).toBe(2);
  });

  it('keeps at most `limit` characters but measures everything', () => {
    const parts = new TextParts('', 5);
    parts.add('abc');
    parts.add('defg');
    parts.add('hij');
    expect(parts.text()).toBe('abcde');
    expect(parts.length).toBe(10);
  });
});
