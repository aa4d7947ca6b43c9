import { describe, expect, it } from 'vitest';
import { missingNodeOptions, PROXY_NODE_OPTIONS } from './node-options.js';

describe('missingNodeOptions', () => {
  it('gives every wanted option a process has not set', () => {
    expect(missingNodeOptions(PROXY_NODE_OPTIONS, [], undefined)).toEqual(['--max-semi-space-size=4']);
    expect(missingNodeOptions(PROXY_NODE_OPTIONS, ['--enable-source-maps'], '--max-old-space-size=512')).toEqual([
      '--max-semi-space-size=4',
    ]);
  });

  it('leaves an option the process sets itself, in its arguments or NODE_OPTIONS, however it is spelt', () => {
    for (const [execArgv, nodeOptions] of [
      [['--max-semi-space-size=8'], undefined],
      [['--max_semi_space_size=8'], undefined],
      [['--max-semi-space-size', '8'], undefined],
      [[], '--max-semi-space-size=16'],
      [[], '  --trace-warnings   --max_semi_space_size=2 '],
    ] as const) {
      expect(missingNodeOptions(PROXY_NODE_OPTIONS, execArgv, nodeOptions)).toEqual([]);
    }
  });
});
