// A small, strict reader of PartiQL for DynamoDB: the single-table statements the sandbox serves
// (SELECT with equality WHERE terms, INSERT ... VALUE {...}, UPDATE ... SET/REMOVE ... WHERE,
// DELETE FROM ... WHERE). Anything else is refused with PartiQLError, never guessed at.
// Pure: used both to derive the IAM request context (dynamodb:PartiQL*) and by the sandbox to run them.
// Grammar: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.statements.html

export class PartiQLError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartiQLError';
  }
}

export type AttributeValue = Record<string, unknown>;

export interface Equality {
  attribute: string;
  value: AttributeValue;
}

export type PartiQLStatement =
  | { kind: 'select'; table: string; index?: string; projection: string[] | '*'; where: Equality[] }
  | { kind: 'insert'; table: string; item: Record<string, AttributeValue> }
  | { kind: 'update'; table: string; set: Equality[]; remove: string[]; where: Equality[] }
  | { kind: 'delete'; table: string; where: Equality[] };

type Tok = { t: 'id'; v: string; quoted: boolean } | { t: 'str'; v: string } | { t: 'num'; v: string } | { t: 'param' } | { t: 'p'; v: string };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new PartiQLError(`Statement wasn't well formed, can't be processed: unterminated ${c === '"' ? 'identifier' : 'string'}`);
        if (text[j] === c) {
          if (text[j + 1] === c) {
            v += c;
            j += 2;
            continue;
          }
          break;
        }
        v += text[j];
        j++;
      }
      out.push(c === '"' ? { t: 'id', v, quoted: true } : { t: 'str', v });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      out.push({ t: 'id', v: m[0], quoted: false });
      i += m[0].length;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i));
      if (!m) throw new PartiQLError(`Statement wasn't well formed, can't be processed: unexpected '${c}'`);
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (c === '?') {
      out.push({ t: 'param' });
      i++;
    } else if ('=,.{}:*[]();'.includes(c)) {
      out.push({ t: 'p', v: c });
      i++;
    } else {
      throw new PartiQLError(`Statement wasn't well formed, can't be processed: unexpected '${c}'`);
    }
  }
  return out;
}

class Reader {
  private pos = 0;
  private nextParam = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly params: AttributeValue[],
  ) {}

  peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  isKeyword(word: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && !t.quoted && t.v.toUpperCase() === word;
  }
  keyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unsupported(`expected ${word}`);
    this.pos++;
  }
  punct(p: string): boolean {
    const t = this.peek();
    if (t?.t === 'p' && t.v === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  expectPunct(p: string): void {
    if (!this.punct(p)) throw this.unsupported(`expected '${p}'`);
  }
  identifier(): string {
    const t = this.peek();
    if (t?.t !== 'id') throw this.unsupported('expected a name');
    this.pos++;
    return t.v;
  }
  /** An attribute name: top-level only (document paths are not supported here). */
  attribute(): string {
    const name = this.identifier();
    const t = this.peek();
    if (t?.t === 'p' && (t.v === '.' || t.v === '[')) throw this.unsupported('document paths are not supported by the sandbox');
    return name;
  }
  value(): AttributeValue {
    const t = this.peek();
    if (!t) throw this.unsupported('expected a value');
    this.pos++;
    if (t.t === 'param') {
      const v = this.params[this.nextParam++];
      if (!v) throw new PartiQLError("Number of parameters in request and statement don't match.");
      return v;
    }
    if (t.t === 'str') return { S: t.v };
    if (t.t === 'num') return { N: t.v };
    if (t.t === 'id' && !t.quoted) {
      const w = t.v.toUpperCase();
      if (w === 'TRUE' || w === 'FALSE') return { BOOL: w === 'TRUE' };
      if (w === 'NULL') return { NULL: true };
    }
    if (t.t === 'p' && t.v === '{') {
      const m: Record<string, AttributeValue> = {};
      if (!this.punct('}')) {
        do {
          const k = this.peek();
          if (k?.t !== 'str') throw this.unsupported("expected a 'quoted' attribute name");
          this.pos++;
          this.expectPunct(':');
          m[k.v] = this.value();
        } while (this.punct(','));
        this.expectPunct('}');
      }
      return { M: m };
    }
    if (t.t === 'p' && t.v === '[') {
      const l: AttributeValue[] = [];
      if (!this.punct(']')) {
        do l.push(this.value());
        while (this.punct(','));
        this.expectPunct(']');
      }
      return { L: l };
    }
    throw this.unsupported('expected a value');
  }
  where(): Equality[] {
    const terms: Equality[] = [];
    do {
      const attribute = this.attribute();
      if (!this.punct('=')) throw this.unsupported('only equality terms joined by AND are supported in WHERE');
      terms.push({ attribute, value: this.value() });
    } while (this.isKeyword('AND') && (this.pos++, true));
    return terms;
  }
  end(): void {
    this.punct(';');
    if (this.pos < this.toks.length) throw this.unsupported('unexpected text after the statement');
    if (this.nextParam !== this.params.length) throw new PartiQLError("Number of parameters in request and statement don't match.");
  }
  unsupported(why: string): PartiQLError {
    return new PartiQLError(
      `The sandbox does not support this PartiQL statement (${why}); it serves single-table SELECT/INSERT/UPDATE/DELETE with equality WHERE terms`,
    );
  }
}

export function parsePartiQL(statement: string, parameters: AttributeValue[] = []): PartiQLStatement {
  const r = new Reader(tokenize(statement), parameters);
  if (r.isKeyword('SELECT')) {
    r.keyword('SELECT');
    let projection: string[] | '*' = '*';
    if (!r.punct('*')) {
      projection = [];
      do projection.push(r.attribute());
      while (r.punct(','));
    }
    r.keyword('FROM');
    const table = r.identifier();
    const index = r.punct('.') ? r.identifier() : undefined;
    const where = r.isKeyword('WHERE') ? (r.keyword('WHERE'), r.where()) : [];
    r.end();
    return { kind: 'select', table, ...(index !== undefined ? { index } : {}), projection, where };
  }
  if (r.isKeyword('INSERT')) {
    r.keyword('INSERT');
    r.keyword('INTO');
    const table = r.identifier();
    r.keyword('VALUE');
    const v = r.value();
    if (!v.M) throw r.unsupported('INSERT needs a {...} item');
    r.end();
    return { kind: 'insert', table, item: v.M as Record<string, AttributeValue> };
  }
  if (r.isKeyword('UPDATE')) {
    r.keyword('UPDATE');
    const table = r.identifier();
    const set: Equality[] = [];
    const remove: string[] = [];
    while (r.isKeyword('SET') || r.isKeyword('REMOVE')) {
      if (r.isKeyword('SET')) {
        r.keyword('SET');
        const attribute = r.attribute();
        r.expectPunct('=');
        set.push({ attribute, value: r.value() });
      } else {
        r.keyword('REMOVE');
        remove.push(r.attribute());
      }
    }
    if (set.length + remove.length === 0) throw r.unsupported('UPDATE needs SET or REMOVE');
    r.keyword('WHERE');
    const where = r.where();
    if (r.isKeyword('RETURNING')) throw r.unsupported('RETURNING is not supported');
    r.end();
    return { kind: 'update', table, set, remove, where };
  }
  if (r.isKeyword('DELETE')) {
    r.keyword('DELETE');
    r.keyword('FROM');
    const table = r.identifier();
    r.keyword('WHERE');
    const where = r.where();
    if (r.isKeyword('RETURNING')) throw r.unsupported('RETURNING is not supported');
    r.end();
    return { kind: 'delete', table, where };
  }
  throw new PartiQLError("Statement wasn't well formed, can't be processed: expected SELECT, INSERT, UPDATE or DELETE");
}

/** The IAM action a statement is authorised as (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html). */
export function partiqlAction(s: PartiQLStatement): string {
  return { select: 'dynamodb:PartiQLSelect', insert: 'dynamodb:PartiQLInsert', update: 'dynamodb:PartiQLUpdate', delete: 'dynamodb:PartiQLDelete' }[s.kind];
}
