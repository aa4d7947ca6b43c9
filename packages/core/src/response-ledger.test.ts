import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CallEnd, callOutcome } from './call-outcome.js';
import { RESPONSE_LEDGER_MAX_IDS, RESPONSE_LEDGER_TTL_MS, ResponseLedger } from './response-ledger.js';
import { openAiWireFormat } from './wire/openai.js';
import { responseIdOfPath } from './wire/openai-response-state.js';
import { SseParser } from './wire/sse-parser.js';

/** A real recorded response (packages/core/src/wire/fixtures/corpus, see its PROVENANCE.md). */
function corpus(name: string): string {
  return readFileSync(new URL(`./wire/fixtures/corpus/openai/${name}`, import.meta.url), 'utf8');
}

/** What `callOutcome` makes of a recorded JSON body seen by a front end using `ledger`. */
function jsonView(ledger: ResponseLedger, name: string, responseId?: string) {
  const response = openAiWireFormat.parseResponse('responses', JSON.parse(corpus(name)));
  return callOutcome({ transport: 'complete', status: 200, response, ledger, responseId, model: 'gpt-4o' });
}

/** What `callOutcome` makes of a recorded stream, read up to `stopAfter` events (all by default). */
function streamView(ledger: ResponseLedger, name: string, end: Partial<CallEnd> & { stopAfter?: number } = {}) {
  const accumulator = openAiWireFormat.createStreamAccumulator('responses');
  let events = 0;
  const parser = new SseParser((event) => {
    if (end.stopAfter === undefined || events < end.stopAfter) accumulator.pushRaw(event.data, event.event);
    events++;
  });
  parser.push(Buffer.from(corpus(name)));
  parser.end();
  const requestBody = { model: 'gpt-4o', input: 'What is 2 + 2?' };
  const stream = { summary: accumulator.summary(), format: openAiWireFormat, operation: 'responses' as const };
  return callOutcome({
    transport: end.stopAfter === undefined ? 'complete' : 'aborted',
    stream: { ...stream, model: 'gpt-4o', requestBody },
    ledger,
    responseId: end.responseId,
    model: 'gpt-4o',
  });
}

describe('ResponseLedger', () => {
  it('settles an id once, and remembers the model it was expected with', () => {
    const ledger = new ResponseLedger();
    ledger.expect('resp_1', 'gpt-4o');
    expect(ledger.unsettled).toBe(1);
    expect(ledger.modelOf('resp_1')).toBe('gpt-4o');
    expect(ledger.settle('resp_1')).toBe(true);
    expect(ledger.settle('resp_1')).toBe(false);
    ledger.expect('resp_1', 'other');
    expect(ledger.settle('resp_1')).toBe(false);
    expect(ledger.modelOf('resp_1')).toBe('gpt-4o');
    expect(ledger.unsettled).toBe(0);
  });

  it('counts the responses pending by provider and model, each the first one known for the id', () => {
    const ledger = new ResponseLedger();
    ledger.expect('resp_1', 'gpt-5', 'openai');
    ledger.expect('resp_1', 'gpt-4o', 'azure'); // a later view: the labels first known stay
    ledger.expect('resp_2', '', '');
    ledger.expect('resp_2', 'gpt-5', 'openai'); // labels learned from a later view fill in what was missing
    ledger.expect('resp_3', 'gpt-5', 'azure');
    expect(ledger.pending()).toEqual([
      { provider: 'openai', model: 'gpt-5', count: 2 },
      { provider: 'azure', model: 'gpt-5', count: 1 },
    ]);
    expect(ledger.pendingByModel()).toEqual(new Map([['gpt-5', 3]]));
    ledger.settle('resp_1');
    expect(ledger.pending()).toEqual([
      { provider: 'openai', model: 'gpt-5', count: 1 },
      { provider: 'azure', model: 'gpt-5', count: 1 },
    ]);
  });

  it('is bounded: the least recently written id goes first, and ids expire', () => {
    expect(RESPONSE_LEDGER_MAX_IDS).toBe(10_000);
    expect(RESPONSE_LEDGER_TTL_MS).toBe(86_400_000);
    let now = 0;
    const ledger = new ResponseLedger({ maxIds: 3, ttlMs: 1000, now: () => now });
    for (const id of ['a', 'b', 'c']) ledger.settle(id);
    ledger.expect('a', 'm'); // settled already: not rewritten, so still the oldest
    ledger.settle('d');
    expect(ledger.size).toBe(3);
    expect(ledger.settle('a')).toBe(true); // forgotten, so counted again
    now = 999;
    expect(ledger.settle('d')).toBe(false);
    now = 2000;
    expect(ledger.size).toBe(0);
    expect(ledger.settle('d')).toBe(true);
  });
});

describe('responseIdOfPath', () => {
  it.each([
    ['/v1/responses/resp_1', 'resp_1'],
    ['/v1/responses/resp_1?stream=true&starting_after=3', 'resp_1'],
    ['/openai/v1/responses/resp_1/cancel', 'resp_1'],
    ['/v1/responses', undefined],
    ['/v1/responses/resp_1/input_items', undefined],
    ['/v1/responses/input_tokens', undefined],
    ['/v1/chat/completions/chatcmpl_1', undefined],
  ])('%s → %s', (path, id) => {
    expect(responseIdOfPath(path)).toBe(id);
    if (id !== undefined) expect(openAiWireFormat.operationForPath(path)).toBe('responses');
  });
});

describe('callOutcome with a ledger, on real recorded background responses', () => {
  it('create queued → poll in progress → poll completed → poll again: usage counted once', () => {
    const ledger = new ResponseLedger();
    const id = 'resp_06a562f31ab7703300698b9df109c481979ebf760b2ff5fc75';
    const views = [
      jsonView(ledger, 'responses-background-create-queued.json'),
      jsonView(ledger, 'responses-background-poll-in-progress.json', id),
      jsonView(ledger, 'responses-background-poll-completed.json', id),
      jsonView(ledger, 'responses-background-poll-completed.json', id),
    ];
    expect(views.map((view) => view.usageSource)).toEqual(['deferred', 'deferred', 'reported', 'deferred']);
    expect(views[2]?.usage).toMatchObject({ input: 15, output: 9, cachedInput: 0, reasoning: 0 });
    expect(views[2]?.responseModel).toBe('gpt-4o-2024-08-06');
    expect(views.every((view, i) => i === 2 || view.usage === undefined)).toBe(true);
    expect(ledger.modelOf(id)).toBe('gpt-4o');
  });

  it('a background stream the client stops reading is not estimated; the GET that shows it final counts it, once', () => {
    const ledger = new ResponseLedger();
    const id = 'resp_078b21da0e109d4800699cc4c6b1ac8193b47f01da738fad41';
    const stopped = streamView(ledger, 'responses-background-stream-before-get.sse', { stopAfter: 8 });
    expect(stopped).toMatchObject({ errorType: 'aborted', usageSource: 'deferred' });
    expect(stopped.usage).toBeUndefined();
    expect(ledger.unsettled).toBe(1);
    const polled = jsonView(ledger, 'responses-background-stream-then-get.json', id);
    expect(polled.usageSource).toBe('reported');
    expect(polled.usage).toMatchObject({ input: 15, output: 9 });
    expect(jsonView(ledger, 'responses-background-stream-then-get.json', id).usageSource).toBe('deferred');
    expect(ledger.unsettled).toBe(0);
  });

  it('a background stream read to its end is counted by the stream; a resume or GET after it is not', () => {
    const ledger = new ResponseLedger();
    const id = 'resp_078b21da0e109d4800699cc4c6b1ac8193b47f01da738fad41';
    const streamed = streamView(ledger, 'responses-background-stream-before-get.sse');
    expect(streamed.usageSource).toBe('reported');
    expect(streamed.usage).toMatchObject({ input: 15, output: 9 });
    // A resume replays the same events, `response.completed` with its usage included.
    const resumed = streamView(ledger, 'responses-background-stream-before-get.sse', { responseId: id });
    expect(resumed.usageSource).toBe('deferred');
    expect(resumed.usage).toBeUndefined();
    expect(jsonView(ledger, 'responses-background-stream-then-get.json', id).usageSource).toBe('deferred');
  });

  it('without a ledger, every view counts what it shows (as before)', () => {
    const response = openAiWireFormat.parseResponse(
      'responses',
      JSON.parse(corpus('responses-background-poll-completed.json')),
    );
    expect(callOutcome({ transport: 'complete', response }).usageSource).toBe('reported');
    expect(response.responseState).toEqual({
      id: 'resp_06a562f31ab7703300698b9df109c481979ebf760b2ff5fc75',
      status: 'completed',
      background: true,
      final: true,
    });
  });
});

describe('ResponseLedger.pendingByModel', () => {
  it('counts the responses seen unfinished by model, and forgets them once settled or expired', () => {
    let now = 0;
    const ledger = new ResponseLedger({ ttlMs: 1000, now: () => now });
    ledger.expect('resp_a', 'gpt-5');
    ledger.expect('resp_b', 'gpt-5');
    ledger.expect('resp_c', '');
    ledger.settle('resp_d', 'gpt-4o');
    expect(ledger.pendingByModel()).toEqual(
      new Map([
        ['gpt-5', 2],
        ['', 1],
      ]),
    );
    ledger.settle('resp_a');
    expect(ledger.pendingByModel()).toEqual(
      new Map([
        ['gpt-5', 1],
        ['', 1],
      ]),
    );
    now = 1000;
    expect(ledger.pendingByModel()).toEqual(new Map());
  });
});
