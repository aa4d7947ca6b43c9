import { describe, expect, it } from 'vitest';
import { encoderFor, loadedEncodings } from './encoders.js';
import { countTokens, estimateUsage, preloadTokenizers } from './token-count.js';

describe('countTokens', () => {
  it('loads nothing until a count is needed', () => {
    expect(loadedEncodings()).toEqual([]);
    expect(countTokens('', 'gpt-4o')).toBe(0);
    expect(loadedEncodings()).toEqual([]);
  });

  it('counts what any byte-level BPE must: one token per lone byte, digits in groups of at most three', () => {
    for (const model of ['gpt-4o', 'gpt-4']) {
      expect(countTokens('a', model)).toBe(1);
      expect(countTokens(' ', model)).toBe(1);
      // Both encodings pre-split numbers into runs of 1-3 digits: 123|456|789|0.
      expect(countTokens('1234567890', model)).toBe(4);
      expect(countTokens('hello world', model)).toBe(2);
    }
  });

  // Pinned from tiktoken 1.0.22 itself (o200k_base / cl100k_base).
  it.each([
    ['Hello, world!', 4, 4],
    ['The quick brown fox jumps over the lazy dog.', 10, 10],
    ['你好世界', 2, 5],
    ['hello world '.repeat(10), 21, 21],
  ])('counts %j as %i (o200k_base) and %i (cl100k_base)', (text, o200k, cl100k) => {
    expect(countTokens(text, 'gpt-4o')).toBe(o200k);
    expect(countTokens(text, 'gpt-3.5-turbo')).toBe(cl100k);
  });

  it('counts special-token strings as plain text instead of throwing', () => {
    // `<|endoftext|>` as text: < | end of text | > in both encodings (pinned: 7 tokens).
    expect(countTokens('<|endoftext|>', 'gpt-4o')).toBe(7);
    expect(countTokens('<|endoftext|>', 'gpt-4')).toBe(7);
    expect(() => countTokens('a <|im_start|>system<|im_end|> <|fim_prefix|>', 'gpt-4o')).not.toThrow();
  });

  it('builds each encoder once and reuses it', () => {
    countTokens('one', 'gpt-4o');
    const o200k = encoderFor('o200k_base');
    countTokens('two', 'o3-mini');
    countTokens('three', 'gpt-4');
    countTokens('four', 'text-embedding-3-small');
    countTokens('five', 'claude-sonnet-4-5');
    expect(encoderFor('o200k_base')).toBe(o200k);
    expect(loadedEncodings()).toEqual(['o200k_base', 'cl100k_base']);
  });
});

describe('estimateUsage', () => {
  it('counts prompt as input and output text as output, with nothing cached or reasoned', () => {
    expect(estimateUsage('gpt-4o', 'hello world', 'Hello, world!')).toEqual({
      input: 2,
      output: 4,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(estimateUsage('gpt-4o', '', '')).toEqual({
      input: 0,
      output: 0,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });

  it('scales a sample of the output up to the whole output length', () => {
    // "hello world" is 2 tokens; a sample of it standing for 10 times as many characters is 20 tokens.
    const usage = estimateUsage('gpt-4o', '', 'hello world', 110);
    expect(usage.output).toBe(20);
    expect(estimateUsage('gpt-4o', '', 'hello world').output).toBe(2);
    expect(estimateUsage('gpt-4o', '', '', 500).output).toBe(0);
  });

  it('counts long text in linear time and as the whole text would count', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(1500);
    // 9 tokens per sentence in o200k_base ("The", " quick", … " dog", "."), plus the trailing space.
    expect(countTokens(prose, 'gpt-4o')).toBe(1500 * 10 + 1);
    const started = performance.now();
    // One 64k-character run: as one piece BPE takes over a second; in segments, milliseconds.
    expect(countTokens('x'.repeat(65536), 'gpt-4o')).toBe(8192);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('preloads the encoders of the models it is given', () => {
    preloadTokenizers(['gpt-4', 'gpt-4o']);
    expect(loadedEncodings()).toEqual(expect.arrayContaining(['cl100k_base', 'o200k_base']));
  });
});
