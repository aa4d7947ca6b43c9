import { describe, expect, it } from 'vitest';
import { type Expr, PromqlSyntaxError, parsePromql, walk } from './promql.js';

describe('parsePromql', () => {
  it('reads selectors, matchers, ranges and functions', () => {
    expect(parsePromql('rate(llm_requests_total{status="error", model=~"$model"}[$__rate_interval])')).toEqual({
      kind: 'call',
      func: 'rate',
      args: [
        {
          kind: 'selector',
          name: 'llm_requests_total',
          matchers: [
            { label: 'status', op: '=', value: 'error' },
            { label: 'model', op: '=~', value: '$model' },
          ],
        },
      ],
    });
    expect(parsePromql("{__name__='up'} offset 5m")).toEqual({
      kind: 'selector',
      name: undefined,
      matchers: [{ label: '__name__', op: '=', value: 'up' }],
    });
  });

  it('reads by and without before or after the arguments', () => {
    const before = parsePromql('sum by (provider, model, le) (rate(x_bucket[5m]))');
    const after = parsePromql('topk(5, x) without (team)');
    expect(before).toMatchObject({
      kind: 'aggregate',
      op: 'sum',
      grouping: { without: false, labels: ['provider', 'model', 'le'] },
    });
    expect(after).toMatchObject({ kind: 'aggregate', op: 'topk', grouping: { without: true, labels: ['team'] } });
    expect(parsePromql('sum(x)')).toMatchObject({ kind: 'aggregate', grouping: undefined });
  });

  it('reads vector matching and binds operators by precedence', () => {
    const expr = parsePromql(
      'a > 0.05 and on (provider, model) b >= bool 1 or c / ignoring (error_type) group_left d * 2',
    );
    expect(expr).toMatchObject({
      kind: 'binary',
      op: 'or',
      left: { kind: 'binary', op: 'and', matching: { on: true, labels: ['provider', 'model'] } },
      // Same precedence binds left to right: (c / d) * 2.
      right: {
        kind: 'binary',
        op: '*',
        left: {
          kind: 'binary',
          op: '/',
          matching: { on: false, labels: ['error_type'], group: { side: 'left', labels: [] } },
        },
        right: { kind: 'number' },
      },
    });
    const names = [...walk(expr)].flatMap((node: Expr) => (node.kind === 'selector' ? [node.name] : []));
    expect(names).toEqual(['a', 'b', 'c', 'd']);
  });

  it('skips comments, and reads recording rule names with colons', () => {
    expect(parsePromql('model:llm_cost_usd:rate5m * 3600 # USD per hour')).toMatchObject({
      kind: 'binary',
      left: { kind: 'selector', name: 'model:llm_cost_usd:rate5m' },
      right: { kind: 'number' },
    });
  });

  it('refuses what it cannot read', () => {
    expect(() => parsePromql('sum by (model (x)')).toThrow(PromqlSyntaxError);
    expect(() => parsePromql('rate(x[5m]) * $factor')).toThrow(/unexpected "\$"/);
    expect(() => parsePromql('x{model="a"')).toThrow(PromqlSyntaxError);
    expect(() => parsePromql('x y')).toThrow(/unexpected "y"/);
  });
});
