import { ConfigError } from '@llmeter/proxy/config';
import { describe, expect, it } from 'vitest';
import { numberOption, PORT, POSITIVE } from './command-line.js';

describe('numberOption', () => {
  it('reads numbers the rule allows, and nothing for an absent value', () => {
    expect(numberOption('--port', '8787', PORT)).toBe(8787);
    expect(numberOption('--port', '0', PORT)).toBe(0);
    expect(numberOption('--rps', '2.5', POSITIVE)).toBe(2.5);
    expect(numberOption('--seed', '-3', { integer: true })).toBe(-3);
    expect(numberOption('--port', undefined, PORT)).toBeUndefined();
  });

  it.each([
    ['--port', '', PORT, '--port must be an integer, got ""'],
    ['--port', '80.5', PORT, '--port must be an integer, got "80.5"'],
    ['--port', '65536', PORT, '--port must be between 0 and 65535, got "65536"'],
    ['LLMETER_PORT', 'http', PORT, 'LLMETER_PORT must be an integer, got "http"'],
    ['--rps', '0', POSITIVE, '--rps must be above 0, got "0"'],
    ['--rps', 'Infinity', POSITIVE, '--rps must be a number, got "Infinity"'],
    ['--fault-rate', '1.5', { min: 0, max: 1 }, '--fault-rate must be between 0 and 1, got "1.5"'],
  ])('rejects %s=%j with a clear ConfigError', (name, value, rule, message) => {
    expect(() => numberOption(name, value, rule)).toThrow(ConfigError);
    expect(() => numberOption(name, value, rule)).toThrow(message);
  });
});
