import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anthropicWireFormat } from './anthropic.js';
import { openAiWireFormat } from './openai.js';
import { SseParser } from './sse-parser.js';
import type { StreamSummary, WireFormat } from './wire-format.js';

/** A real recorded response (fixtures/corpus, see its PROVENANCE.md). */
function corpus(name: string): string {
  return readFileSync(new URL(`./fixtures/corpus/${name}`, import.meta.url), 'utf8');
}

function streamSummary(format: WireFormat, operation: 'chat' | 'responses', sse: string): StreamSummary {
  const accumulator = format.createStreamAccumulator(operation);
  const parser = new SseParser((event) => accumulator.pushRaw(event.data, event.event));
  parser.push(Buffer.from(sse));
  parser.end();
  return accumulator.summary();
}

const sse = (events: readonly unknown[]) => events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('');

describe('OpenAI service_tier', () => {
  it('is read from recorded priority responses, Chat Completions and Responses', () => {
    for (const [operation, name] of [
      ['chat', 'openai/chat-json-service-tier-priority.json'],
      ['responses', 'openai/responses-json-service-tier-priority.json'],
    ] as const) {
      const { usage } = openAiWireFormat.parseResponse(operation, JSON.parse(corpus(name)));
      expect(usage?.serviceTier, name).toBe('priority');
    }
  });

  it('is read from a recorded flex Responses stream (its final response says flex; its first said auto)', () => {
    const summary = streamSummary(
      openAiWireFormat,
      'responses',
      corpus('openai/responses-stream-flex-function-call.sse'),
    );
    expect(summary.usage?.serviceTier).toBe('flex');
    expect(summary.usage?.input).toBe(53);
  });

  it('is left out when standard (default, auto) and read from a chat stream’s usage chunk', () => {
    const body = (tier: string) => ({
      model: 'gpt-5',
      service_tier: tier,
      usage: { prompt_tokens: 10, completion_tokens: 2 },
    });
    expect(openAiWireFormat.parseResponse('chat', body('default')).usage?.serviceTier).toBeUndefined();
    expect(openAiWireFormat.parseResponse('chat', body('auto')).usage?.serviceTier).toBeUndefined();
    const chunk = (extra: Record<string, unknown>) => ({ id: 'c', model: 'gpt-5', service_tier: 'flex', ...extra });
    const summary = streamSummary(
      openAiWireFormat,
      'chat',
      sse([
        chunk({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }),
        chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
        chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } }),
      ]),
    );
    expect(summary.usage).toEqual({
      input: 10,
      output: 2,
      cachedInput: 0,
      cacheWrite: 0,
      reasoning: 0,
      serviceTier: 'flex',
    });
  });
});

describe('OpenAI Responses server-side tool calls', () => {
  it('counts web search, file search, code interpreter and image generation output items by tool', () => {
    const body = {
      model: 'gpt-5',
      status: 'completed',
      output: [
        { type: 'web_search_call' },
        { type: 'file_search_call' },
        { type: 'file_search_call' },
        { type: 'code_interpreter_call' },
        { type: 'image_generation_call' },
        { type: 'function_call' },
        { type: 'message' },
      ],
      usage: { input_tokens: 100, output_tokens: 20 },
    };
    expect(openAiWireFormat.parseResponse('responses', body).usage?.serverToolCalls).toEqual({
      web_search: 1,
      file_search: 2,
      code_execution: 1,
      image_generation: 1,
    });
  });
});

describe('Anthropic service_tier and code execution', () => {
  it('counts a recorded code execution call (a bash_code_execution server_tool_use block); standard tier left out', () => {
    const { usage } = anthropicWireFormat.parseResponse(
      'chat',
      JSON.parse(corpus('anthropic/messages-json-code-execution.json')),
    );
    expect(usage?.serverToolCalls).toEqual({ code_execution: 1 });
    expect(usage?.serviceTier).toBeUndefined();
    expect(usage?.input).toBe(4692);
  });

  it('records priority and batch, in a JSON body and in a stream', () => {
    const message = {
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'server_tool_use', id: 's1', name: 'code_execution', input: {} },
        { type: 'server_tool_use', id: 's2', name: 'web_search', input: {} },
      ],
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        service_tier: 'priority',
        server_tool_use: { web_search_requests: 1 },
      },
    };
    const { usage } = anthropicWireFormat.parseResponse('chat', message);
    expect(usage?.serviceTier).toBe('priority');
    expect(usage?.serverToolCalls).toEqual({ web_search: 1, code_execution: 1 });
    const summary = streamSummary(
      anthropicWireFormat,
      'chat',
      sse([
        {
          type: 'message_start',
          message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 1, service_tier: 'batch' } },
        },
        {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'server_tool_use', id: 's1', name: 'text_editor_code_execution', input: {} },
        },
        {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'server_tool_use', id: 's2', name: 'bash_code_execution', input: {} },
        },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
        { type: 'message_stop' },
      ]),
    );
    expect(summary.usage?.serviceTier).toBe('batch');
    expect(summary.usage?.serverToolCalls).toEqual({ code_execution: 2 });
    expect(summary.usage?.output).toBe(7);
  });
});
