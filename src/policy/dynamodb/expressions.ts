// Reads DynamoDB expressions (KeyCondition, Filter, Condition, Projection, Update) just far enough
// to tell which top-level attributes they touch and which partition-key values they pin.
// Pure: no I/O. Syntax is validated by the engine before authorisation runs, so this reader only
// has to be right about valid expressions; it still refuses input it cannot tokenise.

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token =
  | { kind: 'name'; text: string } // a bare attribute name or a keyword / function name
  | { kind: 'nameRef'; text: string } // #placeholder
  | { kind: 'valueRef'; text: string } // :placeholder
  | { kind: 'number'; text: string } // list index inside [ ]
  | { kind: 'punct'; text: string };

const PUNCT = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'];

/** Structural words of the expression grammars; anything else bare is an attribute name. */
const KEYWORDS = new Set(['and', 'or', 'not', 'between', 'in', 'set', 'remove', 'add', 'delete']);

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = expression.slice(i);
    const ref = /^[#:][A-Za-z0-9_]+/.exec(rest);
    if (ref) {
      tokens.push({ kind: ch === '#' ? 'nameRef' : 'valueRef', text: ref[0] });
      i += ref[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      tokens.push({ kind: 'name', text: word[0] });
      i += word[0].length;
      continue;
    }
    const digits = /^[0-9]+/.exec(rest);
    if (digits) {
      tokens.push({ kind: 'number', text: digits[0] });
      i += digits[0].length;
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    if (punct) {
      tokens.push({ kind: 'punct', text: punct });
      i += punct.length;
      continue;
    }
    throw new ExpressionError(`Invalid character '${ch}' at position ${i} in expression: ${expression}`);
  }
  return tokens;
}

/** A document path found in an expression: `a.b[0]` has top-level attribute `a`. */
export interface PathRef {
  /** Resolved name of the top-level attribute. */
  top: string;
  /** True when the path goes below the top-level attribute (`a.b`, `a[0]`). */
  nested: boolean;
  /** Token range [start, end) the path occupies. */
  start: number;
  end: number;
}

function resolveName(token: Token, names: Record<string, string> | undefined): string {
  if (token.kind === 'nameRef') {
    const resolved = names?.[token.text];
    if (resolved === undefined) {
      throw new ExpressionError(`An expression attribute name used in the document path is not defined; attribute name: ${token.text}`);
    }
    return resolved;
  }
  return token.text;
}

function isPathStart(tokens: Token[], i: number): boolean {
  const t = tokens[i]!;
  if (t.kind === 'nameRef') return true;
  if (t.kind !== 'name') return false;
  if (KEYWORDS.has(t.text.toLowerCase())) return false;
  const next = tokens[i + 1];
  return !(next?.kind === 'punct' && next.text === '('); // a function call, not an attribute
}

/** Every document path in `expression`, in order, with `#name` placeholders resolved. */
export function findPaths(tokens: Token[], names: Record<string, string> | undefined): PathRef[] {
  const paths: PathRef[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!isPathStart(tokens, i)) {
      i++;
      continue;
    }
    const start = i;
    const top = resolveName(tokens[i]!, names);
    i++;
    let nested = false;
    for (;;) {
      const t = tokens[i];
      if (t?.kind === 'punct' && t.text === '.' && (tokens[i + 1]?.kind === 'name' || tokens[i + 1]?.kind === 'nameRef')) {
        resolveName(tokens[i + 1]!, names); // an undefined placeholder is an error even when nested
        i += 2;
        nested = true;
      } else if (t?.kind === 'punct' && t.text === '[' && tokens[i + 1]?.kind === 'number' && tokens[i + 2]?.text === ']') {
        i += 3;
        nested = true;
      } else break;
    }
    paths.push({ top, nested, start, end: i });
  }
  return paths;
}

/** Top-level attribute names an expression reads or writes, deduplicated, in order of appearance. */
export function topLevelAttributes(expression: string, names?: Record<string, string>): string[] {
  const seen = new Set<string>();
  for (const p of findPaths(tokenize(expression), names)) seen.add(p.top);
  return [...seen];
}

/**
 * The value placeholders a key condition pins the partition key to: `pk = :v` (or `:v = pk`).
 * Sort-key conditions (`begins_with`, `BETWEEN`, comparisons) and nested paths never count.
 */
export function partitionKeyPlaceholders(keyCondition: string, partitionKey: string, names?: Record<string, string>): string[] {
  const tokens = tokenize(keyCondition);
  const found: string[] = [];
  for (const p of findPaths(tokens, names)) {
    if (p.nested || p.top !== partitionKey) continue;
    const after = tokens[p.end];
    const afterValue = tokens[p.end + 1];
    if (after?.kind === 'punct' && after.text === '=' && afterValue?.kind === 'valueRef') found.push(afterValue.text);
    const before = tokens[p.start - 1];
    const beforeValue = tokens[p.start - 2];
    if (before?.kind === 'punct' && before.text === '=' && beforeValue?.kind === 'valueRef') found.push(beforeValue.text);
  }
  return found;
}
