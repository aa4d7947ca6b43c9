/**
 * A small PromQL parser: enough of the grammar to know, for every query of the repository, which metric names
 * and label names it uses and where (selectors, matchers, `by`/`without`, `on`/`ignoring`, `group_left`/
 * `group_right`). It parses what Prometheus parses for these queries; what it does not know (a `$variable` outside
 * a string or a range, an unknown token) is an error, so a query it cannot read fails the test instead of passing
 * unchecked. Range and subquery brackets are skipped whole: their contents (`5m`, `$__rate_interval`) name nothing.
 */

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Grouping {
  /** `without` rather than `by`. */
  without: boolean;
  labels: string[];
}

export interface VectorMatching {
  /** `on` rather than `ignoring`. */
  on: boolean;
  labels: string[];
  group?: { side: 'left' | 'right'; labels: string[] };
}

export type Expr =
  | { kind: 'number' }
  | { kind: 'string'; value: string }
  | { kind: 'selector'; name: string | undefined; matchers: Matcher[] }
  | { kind: 'call'; func: string; args: Expr[] }
  | { kind: 'aggregate'; op: string; grouping: Grouping | undefined; args: Expr[] }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; matching: VectorMatching | undefined }
  | { kind: 'unary'; expr: Expr };

/** A query PromQL would not parse, or that uses syntax this parser does not know. */
export class PromqlSyntaxError extends Error {
  override readonly name = 'PromqlSyntaxError';
}

type Token =
  | { type: 'ident'; text: string }
  | { type: 'number'; text: string }
  | { type: 'string'; text: string }
  | { type: 'range'; text: string }
  | { type: 'punct'; text: string };

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
]);
// Binary operators by precedence, lowest first; `^` is right-associative.
const PRECEDENCE: readonly (readonly string[])[] = [
  ['or'],
  ['and', 'unless'],
  ['==', '!=', '<=', '<', '>=', '>'],
  ['+', '-'],
  ['*', '/', '%', 'atan2'],
  ['^'],
];
const PUNCTUATION = [
  '==',
  '!=',
  '=~',
  '!~',
  '<=',
  '>=',
  '(',
  ')',
  '{',
  '}',
  ',',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '@',
];

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const space = /^(\s+|#[^\n]*)/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const char = rest[0] ?? '';
    if (char === '"' || char === "'" || char === '`') {
      let end = 1;
      let value = '';
      while (end < rest.length && rest[end] !== char) {
        if (rest[end] === '\\' && char !== '`') end++;
        value += rest[end] ?? '';
        end++;
      }
      if (end >= rest.length) throw new PromqlSyntaxError(`unterminated string in: ${query}`);
      tokens.push({ type: 'string', text: value });
      i += end + 1;
      continue;
    }
    if (char === '[') {
      const end = rest.indexOf(']');
      if (end < 0) throw new PromqlSyntaxError(`unterminated range in: ${query}`);
      tokens.push({ type: 'range', text: rest.slice(1, end) });
      i += end + 1;
      continue;
    }
    const number = /^(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?[a-z0-9]*)/i.exec(rest);
    if (number) {
      tokens.push({ type: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest);
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => rest.startsWith(p));
    if (punct === undefined) throw new PromqlSyntaxError(`unexpected "${char}" in: ${query}`);
    tokens.push({ type: 'punct', text: punct });
    i += punct.length;
  }
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly query: string,
  ) {}

  parse(): Expr {
    const expr = this.binary(0);
    const left = this.peek();
    if (left) this.fail(`unexpected "${left.text}"`);
    return expr;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private next(): Token {
    const token = this.tokens[this.index++];
    if (!token) this.fail('unexpected end');
    return token;
  }

  private is(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && (token.type === 'punct' || token.type === 'ident') && token.text === text;
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text || token.type === 'string') this.fail(`expected "${text}", got "${token.text}"`);
  }

  private fail(message: string): never {
    throw new PromqlSyntaxError(`${message} in: ${this.query}`);
  }

  private binary(level: number): Expr {
    const operators = PRECEDENCE[level];
    if (operators === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      if (!token || token.type === 'string' || !operators.includes(token.text)) return left;
      this.index++;
      if (this.is('bool')) this.index++;
      const matching = this.matching();
      // `^` binds right to left: its right side is parsed at its own level.
      const right = token.text === '^' ? this.binary(level) : this.binary(level + 1);
      left = { kind: 'binary', op: token.text, left, right, matching };
      if (token.text === '^') return left;
    }
  }

  private matching(): VectorMatching | undefined {
    if (!this.is('on') && !this.is('ignoring')) return undefined;
    const on = this.next().text === 'on';
    const matching: VectorMatching = { on, labels: this.labelList() };
    if (this.is('group_left') || this.is('group_right')) {
      const side = this.next().text === 'group_left' ? 'left' : 'right';
      matching.group = { side, labels: this.is('(') ? this.labelList() : [] };
    }
    return matching;
  }

  private labelList(): string[] {
    this.expect('(');
    const labels: string[] = [];
    while (!this.is(')')) {
      const token = this.next();
      if (token.type !== 'ident') this.fail(`expected a label name, got "${token.text}"`);
      labels.push(token.text);
      if (!this.is(')')) this.expect(',');
    }
    this.expect(')');
    return labels;
  }

  private unary(): Expr {
    if (this.is('-') || this.is('+')) {
      this.index++;
      return { kind: 'unary', expr: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      const token = this.peek();
      if (token?.type === 'range') {
        this.index++;
      } else if (this.is('offset')) {
        this.index++;
        if (this.is('-')) this.index++;
        if (this.next().type !== 'number') this.fail('expected a duration after offset');
      } else if (this.is('@')) {
        this.index++;
        const at = this.next();
        if (at.type === 'ident') {
          this.expect('(');
          this.expect(')');
        } else if (at.type !== 'number') this.fail('expected a time after @');
      } else {
        return expr;
      }
    }
  }

  private primary(): Expr {
    const token = this.next();
    if (token.type === 'number') return { kind: 'number' };
    if (token.type === 'string') return { kind: 'string', value: token.text };
    if (token.type === 'punct' && token.text === '(') {
      const inner = this.binary(0);
      this.expect(')');
      return inner;
    }
    if (token.type === 'punct' && token.text === '{')
      return { kind: 'selector', name: undefined, matchers: this.matchers() };
    if (token.type !== 'ident') this.fail(`unexpected "${token.text}"`);
    const name = token.text;
    if (name === 'Inf' || name === 'NaN' || name === 'inf' || name === 'nan') return { kind: 'number' };
    if (AGGREGATIONS.has(name) && (this.is('(') || this.is('by') || this.is('without'))) return this.aggregate(name);
    if (KEYWORDS.has(name)) this.fail(`unexpected keyword "${name}"`);
    if (this.is('(')) return { kind: 'call', func: name, args: this.args() };
    if (!this.is('{')) return { kind: 'selector', name, matchers: [] };
    this.index++;
    return { kind: 'selector', name, matchers: this.matchers() };
  }

  private aggregate(op: string): Expr {
    let grouping = this.grouping();
    const args = this.args();
    grouping ??= this.grouping();
    return { kind: 'aggregate', op, grouping, args };
  }

  private grouping(): Grouping | undefined {
    if (!this.is('by') && !this.is('without')) return undefined;
    const without = this.next().text === 'without';
    return { without, labels: this.labelList() };
  }

  private args(): Expr[] {
    this.expect('(');
    const args: Expr[] = [];
    while (!this.is(')')) {
      args.push(this.binary(0));
      if (!this.is(')')) this.expect(',');
    }
    this.expect(')');
    return args;
  }

  private matchers(): Matcher[] {
    const matchers: Matcher[] = [];
    while (!this.is('}')) {
      const label = this.next();
      if (label.type !== 'ident') this.fail(`expected a label name, got "${label.text}"`);
      const op = this.next().text;
      if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') this.fail(`expected a matcher, got "${op}"`);
      const value = this.next();
      if (value.type !== 'string') this.fail(`expected a quoted value, got "${value.text}"`);
      matchers.push({ label: label.text, op, value: value.text });
      if (!this.is('}')) this.expect(',');
    }
    this.expect('}');
    return matchers;
  }
}

/** Parses one PromQL expression; throws {@link PromqlSyntaxError} on what it cannot read. */
export function parsePromql(query: string): Expr {
  return new Parser(tokenize(query), query).parse();
}

/** Every node of an expression, depth first. */
export function* walk(expr: Expr): Generator<Expr> {
  yield expr;
  switch (expr.kind) {
    case 'call':
    case 'aggregate':
      for (const arg of expr.args) yield* walk(arg);
      break;
    case 'binary':
      yield* walk(expr.left);
      yield* walk(expr.right);
      break;
    case 'unary':
      yield* walk(expr.expr);
      break;
  }
}
