import { createRequire } from 'node:module';
import type * as TiktokenModule from 'tiktoken';
import type { Tiktoken } from 'tiktoken';
import type { EncodingName } from './encoding-for-model.js';

const encoders = new Map<EncodingName, Tiktoken>();
let tiktoken: typeof TiktokenModule | undefined;

/**
 * The encoder for `name`, built on first use and kept for the life of the process.
 *
 * Both steps are deferred because both are slow: loading tiktoken compiles its WASM (tens of milliseconds), and
 * building an encoder parses its vocabulary (o200k_base: several hundred milliseconds). An application that
 * never needs a local count never pays for either. `require` rather than `import` keeps counting synchronous.
 */
export function encoderFor(name: EncodingName): Tiktoken {
  let encoder = encoders.get(name);
  if (encoder === undefined) {
    tiktoken ??= createRequire(import.meta.url)('tiktoken') as typeof TiktokenModule;
    encoder = tiktoken.get_encoding(name);
    encoders.set(name, encoder);
  }
  return encoder;
}

/** The encodings built so far, in the order they were first used. */
export function loadedEncodings(): readonly EncodingName[] {
  return [...encoders.keys()];
}
