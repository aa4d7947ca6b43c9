import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { OpenRequests } from './open-requests.js';

/** Stand-ins for responses: the list only keeps them (no method of theirs is called). */
const response = (name: string): ServerResponse => ({ name }) as unknown as ServerResponse;

describe('OpenRequests', () => {
  it('counts requests as they join and leave, in any order, each leaving once', () => {
    const open = new OpenRequests<string>();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => open.add(response(name))) as [
      ReturnType<typeof open.add>,
      ReturnType<typeof open.add>,
      ReturnType<typeof open.add>,
    ];
    expect(open.size).toBe(3);
    expect(open.remove(b)).toBe(true);
    expect(open.remove(b)).toBe(false);
    expect(open.size).toBe(2);
    expect(open.snapshot().map((entry) => entry.res)).toEqual([c.res, a.res]);
    expect(open.remove(c)).toBe(true);
    expect(open.remove(a)).toBe(true);
    expect(open.size).toBe(0);
    expect(open.snapshot()).toEqual([]);
  });

  it('clears the links of a request that left, so that it holds no newer request alive', () => {
    const open = new OpenRequests<string>();
    const first = open.add(response('first'));
    const second = open.add(response('second'));
    const third = open.add(response('third'));
    open.remove(second);
    expect(second.previous).toBeUndefined();
    expect(second.next).toBeUndefined();
    expect(third.next).toBe(first);
    expect(first.previous).toBe(third);
    open.remove(first);
    expect(first.previous).toBeUndefined();
    expect(third.next).toBeUndefined();
  });

  it('gives a snapshot that stays whole while its entries leave the list', () => {
    const open = new OpenRequests<string>();
    const entries = Array.from({ length: 5 }, (_, index) => open.add(response(`r${index}`)));
    for (const entry of entries) entry.handler = entry.res.toString();
    const seen: unknown[] = [];
    for (const entry of open.snapshot()) {
      seen.push(entry.res);
      // Handling one (aborting it) may take it and others out of the list.
      open.remove(entry);
      if (entries[0] !== undefined) open.remove(entries[0]);
    }
    expect(seen).toHaveLength(5);
    expect(open.size).toBe(0);
  });
});
