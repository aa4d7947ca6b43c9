import { field, isRecord } from '../json-shape.js';
import type { ServerToolCalls, SubCall, Usage } from '../record.js';
import { tokenCount, usageFromCounts } from './usage-counts.js';

/** At most this many `usage.iterations` entries are read: a response's own list, bounded against odd input. */
const MAX_ITERATIONS = 256;

/** The token counts of an Anthropic usage object, each `undefined` when absent or not a valid count. */
export interface AnthropicCounts {
  input: number | undefined;
  cacheRead: number | undefined;
  cacheCreation: number | undefined;
  /** Of `cacheCreation`: `cache_creation.ephemeral_1h_input_tokens`. */
  cacheCreation1h: number | undefined;
  output: number | undefined;
  thinking: number | undefined;
  /** `server_tool_use.web_search_requests`. */
  webSearches: number | undefined;
  /** `server_tool_use.web_fetch_requests`. */
  webFetches: number | undefined;
  /**
   * `usage.iterations` (context management's compaction steps, advisor sub-inferences): when present, the billed
   * totals, since the top-level counts cover the final message iteration(s) only.
   */
  iterations: readonly unknown[] | undefined;
  /** `usage.service_tier` (`standard`, `priority`, `batch`). */
  serviceTier?: string | undefined;
  /** Code execution tool calls: `server_tool_use` content blocks ({@link isCodeExecutionBlock}), not in `usage`. */
  codeExecutions?: number | undefined;
}

/** The server tool names of Anthropic's code execution tool (each call runs in the call's container). */
const CODE_EXECUTION_TOOLS: ReadonlySet<unknown> = new Set([
  'code_execution',
  'bash_code_execution',
  'text_editor_code_execution',
]);

/** Whether a content block is a call of the code execution tool (billed by container time, not per call). */
export function isCodeExecutionBlock(block: unknown): boolean {
  return field(block, 'type') === 'server_tool_use' && CODE_EXECUTION_TOOLS.has(field(block, 'name'));
}

/** The code execution calls among a message's `content` blocks (at most {@link MAX_ITERATIONS} * 16 read). */
export function codeExecutionCalls(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  let calls = 0;
  const blocks = Math.min(content.length, MAX_ITERATIONS * 16);
  for (let i = 0; i < blocks; i++) if (isCodeExecutionBlock(content[i])) calls++;
  return calls;
}

/** Reads the counts of an Anthropic `usage` object (a message's, or a stream's `message_delta`'s). */
export function anthropicCounts(usage: unknown): AnthropicCounts {
  const serverTools = field(usage, 'server_tool_use');
  const iterations = field(usage, 'iterations');
  return {
    input: tokenCount(field(usage, 'input_tokens')),
    cacheRead: tokenCount(field(usage, 'cache_read_input_tokens')),
    cacheCreation: tokenCount(field(usage, 'cache_creation_input_tokens')),
    cacheCreation1h: tokenCount(field(field(usage, 'cache_creation'), 'ephemeral_1h_input_tokens')),
    output: tokenCount(field(usage, 'output_tokens')),
    thinking: tokenCount(field(field(usage, 'output_tokens_details'), 'thinking_tokens')),
    webSearches: tokenCount(field(serverTools, 'web_search_requests')),
    webFetches: tokenCount(field(serverTools, 'web_fetch_requests')),
    iterations: Array.isArray(iterations) && iterations.length > 0 ? iterations : undefined,
    serviceTier: stringTier(field(usage, 'service_tier')),
  };
}

function stringTier(tier: unknown): string | undefined {
  return typeof tier === 'string' && tier !== '' ? tier.slice(0, 32) : undefined;
}

/**
 * Normalizes Anthropic counts. Anthropic's `input_tokens` excludes cache reads and cache writes, so `input`
 * is their sum; `output_tokens` includes thinking, reported (by newer APIs) in
 * `output_tokens_details.thinking_tokens`, else 0. `undefined` unless input and output counts are known.
 *
 * With `usage.iterations`, the call is billed for every iteration, as Anthropic documents for compaction: the
 * top-level counts leave out the compaction step. An iteration naming its own `model` (an `advisor_message`) is
 * billed at that model's price and becomes a {@link SubCall}; the others are summed into the call's own counts.
 */
export function anthropicUsage(counts: AnthropicCounts): Usage | undefined {
  const usage = countsUsage(counts);
  // `standard` is the standard price; `priority` (capacity bought ahead) and `batch` are told apart.
  const tier = counts.serviceTier;
  return usage === undefined || tier === undefined || tier === 'standard' ? usage : { ...usage, serviceTier: tier };
}

function countsUsage(counts: AnthropicCounts): Usage | undefined {
  const top = plainUsage(counts);
  if (top === undefined) return undefined;
  const serverToolCalls = toolCalls(counts);
  const fromIterations = counts.iterations === undefined ? undefined : iterationsUsage(counts.iterations);
  if (fromIterations === undefined) return serverToolCalls === undefined ? top : { ...top, serverToolCalls };
  const { own, subCalls } = fromIterations;
  // Thinking is reported only at the top level, for the message iterations it covers.
  own.reasoning = Math.min(counts.thinking ?? 0, own.output);
  if (serverToolCalls !== undefined) own.serverToolCalls = serverToolCalls;
  if (subCalls.length > 0) own.subCalls = subCalls;
  return own;
}

function plainUsage(counts: AnthropicCounts): Usage | undefined {
  const { input, output } = counts;
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = counts.cacheRead ?? 0;
  const cacheCreation = counts.cacheCreation ?? 0;
  const usage = usageFromCounts(
    input + cacheRead + cacheCreation,
    output,
    cacheRead,
    cacheCreation,
    counts.thinking ?? 0,
  );
  const cacheWrite1h = Math.min(counts.cacheCreation1h ?? 0, usage.cacheWrite);
  return cacheWrite1h > 0 ? { ...usage, cacheWrite1h } : usage;
}

function toolCalls(counts: AnthropicCounts): ServerToolCalls | undefined {
  const webSearch = counts.webSearches ?? 0;
  const webFetch = counts.webFetches ?? 0;
  const codeExecution = counts.codeExecutions ?? 0;
  if (webSearch === 0 && webFetch === 0 && codeExecution === 0) return undefined;
  const calls: { web_search?: number; web_fetch?: number; code_execution?: number } = {};
  if (webSearch > 0) calls.web_search = webSearch;
  if (webFetch > 0) calls.web_fetch = webFetch;
  if (codeExecution > 0) calls.code_execution = codeExecution;
  return calls;
}

/**
 * The summed usage of the iterations, or `undefined` when one of them cannot be read (the top-level counts,
 * which Anthropic always sends, are then used as they are).
 */
function iterationsUsage(iterations: readonly unknown[]): { own: Usage; subCalls: SubCall[] } | undefined {
  if (iterations.length > MAX_ITERATIONS) return undefined;
  const own: Usage = { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
  const subCalls: SubCall[] = [];
  let cacheWrite1h = 0;
  for (const iteration of iterations) {
    if (!isRecord(iteration)) return undefined;
    const usage = plainUsage(anthropicCounts(iteration));
    if (usage === undefined) return undefined;
    const model = iteration.model;
    if (typeof model === 'string' && model !== '') {
      subCalls.push({ model, usage });
      continue;
    }
    own.input += usage.input;
    own.output += usage.output;
    own.cachedInput += usage.cachedInput;
    own.cacheWrite += usage.cacheWrite;
    cacheWrite1h += usage.cacheWrite1h ?? 0;
  }
  if (cacheWrite1h > 0) own.cacheWrite1h = cacheWrite1h;
  return { own, subCalls };
}
