// IAM strings: `*` and `?` wildcards (which span `/` and every other character), policy
// variables `${key}` and `${key, 'default'}`, and the escapes `${*}` `${?}` `${$}`.
// A template is parsed once per policy document and resolved per request.

/** Wildcards are encoded as code points that never occur in a valid policy or ARN. */
export const STAR = '\u0000';
export const QMARK = '\u0001';

export interface Variable {
  /** Context key, lower-cased (IAM key names are case-insensitive). */
  key: string;
  fallback: string | undefined;
}

export type TemplatePart = string | Variable;

export interface Template {
  /** The value with wildcards encoded, when it has no variables. */
  fixed: string | undefined;
  parts: TemplatePart[];
  wild: boolean;
}

/** Request context with lower-case keys (a Map, or any lookup with the same get()). */
export interface ContextMap {
  get(key: string): string | string[] | undefined;
}

export class UnsupportedConstruct extends Error {}

export function parseTemplate(value: string, opts: { wildcards: boolean; variables: boolean; lowerCase?: boolean }): Template {
  if (value.includes(STAR) || value.includes(QMARK)) throw new UnsupportedConstruct('control characters in a policy string');
  const parts: TemplatePart[] = [];
  let literal = '';
  let wild = false;
  let i = 0;
  const lc = opts.lowerCase === true;
  while (i < value.length) {
    const ch = value[i] as string;
    if (opts.wildcards && (ch === '*' || ch === '?')) {
      literal += ch === '*' ? STAR : QMARK;
      wild = true;
      i++;
      continue;
    }
    if (opts.variables && ch === '$' && value[i + 1] === '{') {
      const end = value.indexOf('}', i + 2);
      if (end < 0) {
        literal += '$';
        i++;
        continue;
      }
      const inner = value.slice(i + 2, end);
      i = end + 1;
      if (inner === '*' || inner === '?' || inner === '$') {
        literal += inner;
        continue;
      }
      const pieces = inner.split(', ');
      let fallback: string | undefined;
      if (pieces.length === 2) {
        const d = pieces[1] as string;
        if (d.length >= 2 && d.startsWith("'") && d.endsWith("'")) fallback = d.slice(1, -1);
      }
      if (literal) parts.push(lc ? literal.toLowerCase() : literal);
      literal = '';
      parts.push({ key: (pieces[0] as string).trim().toLowerCase(), fallback: fallback === '' ? undefined : fallback });
      continue;
    }
    literal += ch;
    i++;
  }
  if (literal) parts.push(lc ? literal.toLowerCase() : literal);
  const fixed = parts.every((p) => typeof p === 'string') ? (parts as string[]).join('') : undefined;
  return { fixed, parts, wild };
}

/** The value of a single-valued context key as a policy variable; undefined when missing, empty or multi-valued. */
function variableValue(ctx: ContextMap, v: Variable): string | undefined {
  const raw = ctx.get(v.key);
  if (typeof raw === 'string' && raw !== '') return raw;
  return v.fallback;
}

/** The template with variables substituted (their values are literal text), or undefined when a variable cannot be resolved. */
export function resolveTemplate(t: Template, ctx: ContextMap, lowerCase = false): string | undefined {
  if (t.fixed !== undefined) return t.fixed;
  let out = '';
  for (const p of t.parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = variableValue(ctx, p);
      if (v === undefined) return undefined;
      // Resolved text never acts as a wildcard.
      const text = v.includes(STAR) || v.includes(QMARK) ? undefined : v;
      if (text === undefined) return undefined;
      out += lowerCase ? text.toLowerCase() : text;
    }
  }
  return out;
}

/** Matches `s` against a pattern with encoded wildcards (`*` spans any characters, `?` exactly one). */
export function globMatch(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  const pl = p.length;
  const sl = s.length;
  while (si < sl) {
    if (pi < pl) {
      const pc = p.charCodeAt(pi);
      if (pc === 0) {
        star = pi++;
        mark = si;
        continue;
      }
      if (pc === 1 || pc === s.charCodeAt(si)) {
        pi++;
        si++;
        continue;
      }
    }
    if (star >= 0) {
      pi = star + 1;
      si = ++mark;
      continue;
    }
    return false;
  }
  while (pi < pl && p.charCodeAt(pi) === 0) pi++;
  return pi === pl;
}

/** Matches a resolved pattern (wildcards encoded when `wild`) against a value. */
export function matchResolved(pattern: string, wild: boolean, value: string): boolean {
  return wild ? globMatch(pattern, value) : pattern === value;
}

/** Decodes a resolved pattern back into IAM text (for messages). */
export function displayPattern(p: string): string {
  return p.split(STAR).join('*').split(QMARK).join('?');
}
