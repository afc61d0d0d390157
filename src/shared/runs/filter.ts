/**
 * The run table's filter language: a small boolean expression over a run's columns and tags.
 *
 *   regime = joint and hiddenWidth >= 64
 *   tag:baseline or (status != finished and not tag:old)
 *   backend ~ onnx            (~ is "contains", case-insensitive)
 *
 * Grammar (keywords `and`, `or`, `not` case-insensitive):
 *   expr  := and ('or' and)*
 *   and   := unary ('and' unary)*
 *   unary := 'not' unary | atom
 *   atom  := '(' expr ')' | 'tag:' word | field op value
 *   op    := '=' | '!=' | '<' | '<=' | '>' | '>=' | '~'
 *   value := number | "quoted string" | 'quoted string' | word
 *
 * Pure (no DOM, no node): the renderer's filter box, the services' run listing and the CLI's `runs --filter`
 * use the same parser, so an expression means the same everywhere.
 */

/** A value a run table cell can hold. */
export type CellValue = string | number | boolean | null;

/** What a filter is evaluated against: the row's columns and its tags. */
export interface FilterRow {
  columns: Readonly<Record<string, CellValue | undefined>>;
  tags: readonly string[];
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';

/** The parsed expression. */
export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; operand: FilterExpr }
  | { kind: 'tag'; tag: string }
  | { kind: 'compare'; field: string; op: CompareOp; value: string | number }
  | { kind: 'all' };

/** A filter that did not parse: the message names the column (1-based) and what was expected. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type Token =
  | { t: 'word'; v: string; col: number }
  | { t: 'string'; v: string; col: number }
  | { t: 'number'; v: number; raw: string; col: number }
  | { t: 'op'; v: CompareOp; col: number }
  | { t: 'lparen' | 'rparen' | 'tag'; col: number }
  | { t: 'end'; col: number };

const OPS: readonly CompareOp[] = ['<=', '>=', '!=', '=', '<', '>', '~'];
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const col = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c === '(' ? 'lparen' : 'rparen', col });
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op, col });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        v += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterSyntaxError(`unterminated string starting at column ${col}`, col);
      out.push({ t: 'string', v, col });
      i = j + 1;
      continue;
    }
    if (src.startsWith('tag:', i) || src.startsWith('TAG:', i)) {
      out.push({ t: 'tag', col });
      i += 4;
      continue;
    }
    if (c === '!') throw new FilterSyntaxError(`unexpected '!' at column ${col} (did you mean '!=' or 'not'?)`, col);
    let j = i;
    while (j < src.length && !/[\s()=<>!~"']/.test(src[j]!)) j++;
    const word = src.slice(i, j);
    if (NUMBER_RE.test(word)) out.push({ t: 'number', v: Number(word), raw: word, col });
    else out.push({ t: 'word', v: word, col });
    i = j;
  }
  out.push({ t: 'end', col: src.length + 1 });
  return out;
}

function describeToken(tok: Token): string {
  switch (tok.t) {
    case 'end':
      return 'the end of the filter';
    case 'lparen':
      return "'('";
    case 'rparen':
      return "')'";
    case 'tag':
      return "'tag:'";
    case 'op':
      return `'${tok.v}'`;
    case 'number':
      return `'${tok.raw}'`;
    default:
      return `'${tok.v}'`;
  }
}

const isKeyword = (tok: Token, kw: string): boolean => tok.t === 'word' && tok.v.toLowerCase() === kw;

/**
 * Parses a filter expression. An empty or blank string is the filter that keeps every run. With `fields`,
 * a comparison on a column not in the list is an error naming the known columns.
 */
export function parseFilter(src: string, fields?: readonly string[]): FilterExpr {
  if (src.trim() === '') return { kind: 'all' };
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const next = (): Token => toks[p++]!;
  const fail = (what: string, tok: Token): never => {
    throw new FilterSyntaxError(`expected ${what} at column ${tok.col}, found ${describeToken(tok)}`, tok.col);
  };

  const parseOr = (): FilterExpr => {
    let left = parseAnd();
    while (isKeyword(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterExpr => {
    let left = parseUnary();
    while (isKeyword(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): FilterExpr => {
    if (isKeyword(peek(), 'not')) {
      next();
      return { kind: 'not', operand: parseUnary() };
    }
    return parseAtom();
  };
  const parseAtom = (): FilterExpr => {
    const tok = next();
    if (tok.t === 'lparen') {
      const e = parseOr();
      const close = next();
      if (close.t !== 'rparen') fail("')'", close);
      return e;
    }
    if (tok.t === 'tag') {
      const name = next();
      if (name.t !== 'word' && name.t !== 'string' && name.t !== 'number') fail('a tag name after tag:', name);
      return { kind: 'tag', tag: String((name as { v: string | number }).v) };
    }
    if (tok.t !== 'word' || ['and', 'or', 'not'].includes(tok.v.toLowerCase())) return fail('a column name, tag:NAME or (', tok);
    const field = (tok as { v: string }).v;
    if (fields && !fields.includes(field)) {
      throw new FilterSyntaxError(`unknown column '${field}' at column ${tok.col} (known: ${fields.join(', ')})`, tok.col);
    }
    const op = next();
    if (op.t !== 'op') return fail(`an operator (=, !=, <, <=, >, >=, ~) after '${field}'`, op);
    const val = next();
    if (val.t === 'number') return { kind: 'compare', field, op: op.v, value: val.v };
    if (val.t === 'string' || (val.t === 'word' && !['and', 'or', 'not'].includes(val.v.toLowerCase()))) {
      return { kind: 'compare', field, op: op.v, value: (val as { v: string }).v };
    }
    return fail(`a value after '${field} ${op.v}'`, val);
  };

  const e = parseOr();
  const rest = peek();
  if (rest.t !== 'end') fail("'and', 'or' or the end of the filter", rest);
  return e;
}

function compare(cell: CellValue | undefined, op: CompareOp, value: string | number): boolean {
  if (cell === undefined || cell === null) return op === '!=';
  if (op === '~') return String(cell).toLowerCase().includes(String(value).toLowerCase());
  const cellNum = typeof cell === 'number' ? cell : typeof cell === 'string' && NUMBER_RE.test(cell) ? Number(cell) : NaN;
  const valNum = typeof value === 'number' ? value : NUMBER_RE.test(value) ? Number(value) : NaN;
  if (!Number.isNaN(cellNum) && !Number.isNaN(valNum)) {
    switch (op) {
      case '=':
        return cellNum === valNum;
      case '!=':
        return cellNum !== valNum;
      case '<':
        return cellNum < valNum;
      case '<=':
        return cellNum <= valNum;
      case '>':
        return cellNum > valNum;
      case '>=':
        return cellNum >= valNum;
    }
  }
  const a = String(cell).toLowerCase();
  const b = String(value).toLowerCase();
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** True when the row satisfies the expression. A missing or null cell equals nothing and differs from everything. */
export function matchesFilter(expr: FilterExpr, row: FilterRow): boolean {
  switch (expr.kind) {
    case 'all':
      return true;
    case 'and':
      return matchesFilter(expr.left, row) && matchesFilter(expr.right, row);
    case 'or':
      return matchesFilter(expr.left, row) || matchesFilter(expr.right, row);
    case 'not':
      return !matchesFilter(expr.operand, row);
    case 'tag':
      return row.tags.some((t) => t.toLowerCase() === expr.tag.toLowerCase());
    case 'compare':
      return compare(row.columns[expr.field], expr.op, expr.value);
  }
}
