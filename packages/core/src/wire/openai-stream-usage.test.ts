import { describe, expect, test } from 'vitest';
import { openAiStreamUsage } from './openai-stream-usage.js';

describe('openAiStreamUsage.refused: the one rule both front ends use for a server refusing stream_options', () => {
  test.each([
    [400, '{"error":{"message":"Unrecognized request argument supplied: stream_options","param":null}}', true],
    [400, '{"object":"error","message":"extra fields not permitted: include_usage"}', true],
    [400, '{"error":{"message":"Invalid value: \'tool\'. Supported values are: \'system\', \'user\'."}}', false],
    [422, '{"detail":"stream_options"}', false],
    [500, 'stream_options', false],
  ])('%i %s → %s', (status, body, refused) => {
    expect(openAiStreamUsage.refused(status, body)).toBe(refused);
  });
});
