// Which tenants the isolation proof evaluates, and against whom (docs/security.md, "ABAC proof by
// representative ids").
//
// Role mode: every tenant has its own documents, so every tenant is evaluated. ABAC mode: the
// scope roles' documents are the same for every tenant; the tenant enters only through policy
// variables (`${aws:PrincipalTag/isoctl-tenant}`, also `aws:PrincipalArn`), substituted as literal
// text before matching (IAM User Guide, "IAM policy elements: Variables and tags"). A probe's
// decision for (tenant, other) is then a function of string relations between the two ids, the
// synthetic ids the probes derive from them, and the documents' literal text: equality, one id a
// prefix, suffix or infix of the other, the ids' lengths and character classes, and ids that occur
// in (or contain) the documents' literals. Ids alike in all of these get the same decisions, so
// one evaluated id stands for each class. A document naming a tenant id of the list literally
// (a deny list, a hard-coded grant) makes that id special in ways the classes do not capture:
// then every id is evaluated (full proof).
import { QMARK, STAR, UnsupportedConstruct, parseTemplate } from './pattern.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

export interface ProofPlanEntry {
  tenant: string;
  /** The tenants it is probed against (its data must not reach theirs). */
  others: string[];
}

export interface ProofSampling {
  /** `representative`: the ids below stand for all; `full`: every id was evaluated. */
  mode: 'representative' | 'full';
  /** Why (the docs/security.md section for representative, the reason for full). */
  why: string;
  /** Representative mode: each evaluated id, the rules that picked it and the ids it was probed against. */
  picks?: Array<{ id: string; rules: string[]; others: string[] }>;
}

export const SAMPLING_WHY =
  'ABAC: the scope roles name no tenant (the tenant is a policy variable substituted as text), so ids alike in length, character classes, prefix/suffix/infix relations and overlap with the documents\' literals get the same decisions; one id per class is evaluated (docs/security.md row 10g, "ABAC proof by representative ids")';

const ID_RUN = /[a-z0-9-]+/g;
const SKIP_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction']);
/** Condition keys the probes never fill with tenant text (a listed id equal to their literal values is no reason for a full proof). */
const QUIET_KEYS = new Set([
  'dynamodb:returnvalues',
  'dynamodb:select',
  'dynamodb:attributes',
  'cognito-identity.amazonaws.com:amr',
  'cognito-identity.amazonaws.com:aud',
  'aws:tagkeys',
]);

/** What of the documents' text the sampling looks at. */
export interface DocumentText {
  /** Literal runs of tenant-id characters in the values (variables and wildcards removed, lower-cased). */
  tokens: Set<string>;
  /**
   * The runs of the values tenant text can meet (Resource, NotResource, condition values of keys
   * the probes fill from ids, any value with a variable): a listed id among them means a document
   * names that tenant, and the proof evaluates every id.
   */
  naming: Set<string>;
  /** The run of id characters right after / right before a policy variable (`ledger-` in `table/ledger-${...}`). */
  after: Set<string>;
  before: Set<string>;
}

/** The documents' literal text (values only: not `Sid`, `Effect`, `Action`); undefined when a string cannot be parsed. */
export function documentText(docs: PolicyDocument[], probeLiterals: string[] = []): DocumentText | undefined {
  const tokens = new Set<string>();
  const naming = new Set<string>();
  const after = new Set<string>();
  const before = new Set<string>();
  const literal = (part: unknown) => (typeof part === 'string' ? part.toLowerCase() : undefined);
  const addString = (value: string, names: boolean) => {
    const t = parseTemplate(value, { wildcards: true, variables: true });
    t.parts.forEach((part, i) => {
      const text = typeof part === 'string' ? part : (part.fallback ?? '');
      for (const piece of text.split(STAR).flatMap((x) => x.split(QMARK)))
        for (const m of piece.toLowerCase().match(ID_RUN) ?? []) {
          tokens.add(m);
          if (names) naming.add(m);
        }
      if (typeof part === 'string') return;
      const next = literal(t.parts[i + 1])?.match(/^[a-z0-9-]+/)?.[0];
      const prev = literal(t.parts[i - 1])?.match(/[a-z0-9-]+$/)?.[0];
      if (next) after.add(next);
      if (prev) before.add(prev);
    });
  };
  const walk = (v: unknown, names: boolean): void => {
    if (typeof v === 'string') addString(v, names || v.includes('${'));
    else if (typeof v === 'number' || typeof v === 'boolean') addString(String(v), names);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, names));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (!SKIP_KEYS.has(k)) walk(x, names);
  };
  const statement = (st: PolicyStatement) => {
    for (const [k, v] of Object.entries(st)) {
      if (SKIP_KEYS.has(k)) continue;
      if (k === 'Principal' || k === 'NotPrincipal') walk(v, false);
      else if (k === 'Condition' && v !== null && typeof v === 'object')
        for (const [op, block] of Object.entries(v as Record<string, unknown>))
          for (const [key, values] of Object.entries((block ?? {}) as Record<string, unknown>))
            walk(values, !op.startsWith('Null') && !QUIET_KEYS.has(key.toLowerCase()));
      else walk(v, true);
    }
  };
  try {
    // The probes' own fixed text (made-up users, attributes, tables, indexes, object names) meets the ids too.
    for (const l of probeLiterals) addString(l, false);
    for (const d of docs) (Array.isArray(d.Statement) ? d.Statement : [d.Statement]).forEach(statement);
  } catch (err) {
    if (err instanceof UnsupportedConstruct) return undefined;
    throw err;
  }
  return { tokens, naming, after, before };
}

/** Character-class signature of an id (the id rule allows a-z, 0-9 and inner "-"). */
function shapeOf(id: string): string {
  const f: string[] = [];
  if (/[a-z]/.test(id)) f.push('letter');
  if (/[0-9]/.test(id)) f.push('digit');
  if (id.includes('-')) f.push('hyphen');
  if (id.includes('--')) f.push('double-hyphen');
  if (/^[0-9]/.test(id)) f.push('leading-digit');
  if (/[0-9]$/.test(id)) f.push('trailing-digit');
  return f.join('+') || 'other';
}

const charClass = (c: string | undefined) => (c === undefined ? 'none' : c === '-' ? 'hyphen' : c >= '0' && c <= '9' ? 'digit' : 'letter');
const reverse = (s: string) => [...s].reverse().join('');

class Picker {
  readonly rules = new Map<string, string[]>();
  readonly partners = new Map<string, Set<string>>();
  pick(id: string, rule: string): void {
    const r = this.rules.get(id);
    if (r) {
      if (!r.includes(rule)) r.push(rule);
    } else this.rules.set(id, [rule]);
  }
  pair(a: string, o: string, relation: string): void {
    this.pick(a, `${relation} of ${o}`);
    this.pick(o, `has ${a} as ${relation}`);
    for (const [x, y] of [
      [a, o],
      [o, a],
    ] as const) {
      const s = this.partners.get(x) ?? new Set<string>();
      s.add(y);
      this.partners.set(x, s);
    }
  }
}

/**
 * Prefixes (suffixes with `reversed`): sorted, an id's extensions follow it. Every id that is a
 * prefix of another one is picked, paired with its nearest extension, its shortest, one extension
 * per class of the character after it, per extension length (`?` after the variable) and per
 * literal run the documents put right after the variable that the extension starts with.
 * Suffixes: one pair per class (the shorter id's shape with the class of the character before it,
 * the length of what precedes it, or the literal run before the variable it ends with).
 */
function prefixPairs(list: string[], p: Picker, reversed: boolean, text: DocumentText): void {
  const keyed = list.map((id) => ({ id, k: reversed ? reverse(id) : id })).sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  const relation = reversed ? 'suffix' : 'prefix';
  const glue = [...(reversed ? text.before : text.after)];
  const classes = new Set<string>();
  for (let i = 0; i < keyed.length; i++) {
    const a = keyed[i] as { id: string; k: string };
    const chosen = new Map<string, string>();
    let shortest: string | undefined;
    const shape = reversed ? shapeOf(a.id) : '';
    for (let j = i + 1; j < keyed.length && (keyed[j] as { k: string }).k.startsWith(a.k); j++) {
      const o = keyed[j] as { id: string; k: string };
      const rest = reversed ? o.id.slice(0, o.id.length - a.id.length) : o.id.slice(a.id.length);
      const keys = [charClass(o.k[a.k.length]), `length ${rest.length}`];
      for (const g of glue) if (reversed ? rest.endsWith(g) : rest.startsWith(g)) keys.push(`glue ${g}`);
      if (!reversed && chosen.size === 0) chosen.set('nearest', o.id);
      for (const key of keys) {
        if (reversed) {
          if (classes.has(`${shape} ${key}`)) continue;
          classes.add(`${shape} ${key}`);
        }
        if (!chosen.has(key)) chosen.set(key, o.id);
      }
      if (!reversed && (shortest === undefined || o.id.length < shortest.length)) shortest = o.id;
    }
    if (shortest !== undefined) chosen.set('shortest', shortest);
    for (const o of new Set(chosen.values())) p.pair(a.id, o, relation);
  }
}

/** Ids strictly inside another id (not at its start or end): one pair per class (the inner id's shape, the classes of the characters around it). */
function infixPairs(list: string[], set: Set<string>, p: Picker): void {
  const lengths = [...new Set(list.map((id) => id.length))].sort((a, b) => a - b);
  const classes = new Set<string>();
  for (const o of list)
    for (const len of lengths) {
      if (len > o.length - 2) break;
      for (let at = 1; at + len < o.length; at++) {
        const s = o.substr(at, len);
        if (!set.has(s)) continue;
        const key = `${shapeOf(s)} ${charClass(o[at - 1])} ${charClass(o[at + len])}`;
        if (classes.has(key)) continue;
        classes.add(key);
        p.pair(s, o, 'infix');
      }
    }
}

/** Ids that occur in the documents' literal text, and per literal run and position one id containing it. */
function literalPicks(list: string[], tokens: Set<string>, p: Picker): void {
  const inside = new Set<string>();
  for (const t of tokens) for (let i = 0; i < t.length; i++) for (let j = i + 1; j <= t.length; j++) inside.add(t.slice(i, j));
  const seen = new Set<string>();
  for (const id of list) {
    if (inside.has(id)) p.pick(id, 'occurs in the documents');
    for (const t of tokens) {
      const at = id.indexOf(t);
      if (at < 0) continue;
      const where = at === 0 ? 'start' : at + t.length === id.length ? 'end' : 'inside';
      const key = `${t}\u0000${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      p.pick(id, `contains the documents' "${t}" (${where})`);
    }
  }
}

/** The tenant ids of the list a document names as a whole literal run: the reason for a full proof. */
export function literalTenantIds(list: string[], tokens: Set<string>): string[] {
  return list.filter((id) => tokens.has(id));
}

export interface RepresentativeSample {
  /** Evaluated ids, in list order. */
  ids: string[];
  rules: Map<string, string[]>;
  partners: Map<string, Set<string>>;
}

/** The representative ids of a list (deduplicated, at least two ids) under documents with the given literal runs. */
export function representativeIds(list: string[], text: DocumentText, subject?: string): RepresentativeSample {
  const p = new Picker();
  const set = new Set(list);
  p.pick(list[0] as string, 'first');
  p.pick(list[list.length - 1] as string, 'last');
  let shortest = list[0] as string;
  let longest = shortest;
  const shapes = new Map<string, string>();
  const lengths = new Map<number, string>();
  for (const id of list) {
    if (id.length < shortest.length) shortest = id;
    if (id.length > longest.length) longest = id;
    const shape = shapeOf(id);
    if (!shapes.has(shape)) shapes.set(shape, id);
    if (!lengths.has(id.length)) lengths.set(id.length, id);
  }
  p.pick(shortest, 'shortest');
  p.pick(longest, 'longest');
  for (const [shape, id] of shapes) p.pick(id, `shape ${shape}`);
  for (const [len, id] of lengths) p.pick(id, `length ${len}`);
  prefixPairs(list, p, false, text);
  prefixPairs(list, p, true, text);
  infixPairs(list, set, p);
  literalPicks(list, text.tokens, p);
  if (subject !== undefined && set.has(subject)) {
    p.pick(subject, 'subject');
    // Every id inside the subject (its prefixes, suffixes, infixes; at most 528 of them).
    for (let i = 0; i < subject.length; i++)
      for (let j = i + 1; j <= subject.length; j++) {
        const s = subject.slice(i, j);
        if (s !== subject && set.has(s)) p.pair(s, subject, i === 0 ? 'prefix' : j === subject.length ? 'suffix' : 'infix');
      }
  }
  const ids = list.filter((id) => p.rules.has(id));
  return { ids, rules: p.rules, partners: p.partners };
}

/**
 * Who is probed against whom. `sample` undefined: every id (the full proof, as before); otherwise
 * the representative ids: each against its neighbour in the full list (as the full proof), its
 * neighbour among the representatives (so each of them is also probed as the other tenant) and
 * its prefix/suffix/infix partners; with allPairs every representative against every other; with
 * a subject, the subject against every representative and each of them against the subject.
 */
export function proofPlan(
  list: string[],
  opts: { allPairs?: boolean; subject?: string; sample?: RepresentativeSample },
  synthetic: (tenant: string) => string,
): ProofPlanEntry[] {
  const ids = opts.sample?.ids ?? list;
  const index = new Map(list.map((id, i) => [id, i]));
  const subjectIn = opts.subject !== undefined && list.length > 1 && list.includes(opts.subject);
  return ids.map((tenant, k) => {
    if (subjectIn) return { tenant, others: tenant === opts.subject ? ids.filter((u) => u !== tenant) : [opts.subject as string] };
    if (opts.allPairs && ids.length > 1) return { tenant, others: ids.filter((u) => u !== tenant) };
    if (list.length < 2) return { tenant, others: [synthetic(tenant)] };
    const i = index.get(tenant) as number;
    const others = [list[(i + 1) % list.length] as string];
    if (opts.sample) {
      others.push(ids[(k + 1) % ids.length] as string);
      others.push(...(opts.sample.partners.get(tenant) ?? []));
    }
    return { tenant, others: [...new Set(others)].filter((o) => o !== tenant) };
  });
}

/**
 * Representative ids (ABAC, the documents shared by every tenant and naming none of the list) or
 * every id (role mode, per-tenant documents given, a document naming a tenant of the list).
 */
export function chooseSampling(
  mapping: string,
  list: string[],
  opts: { dataPolicy?: unknown; subject?: string },
  sharedDocs: PolicyDocument[] | undefined,
  probeLiterals: string[] = [],
): { sampling: ProofSampling; sample?: RepresentativeSample } {
  const full = (why: string) => ({ sampling: { mode: 'full' as const, why } });
  if (mapping !== 'abac' || sharedDocs === undefined) return full('role mode: every tenant has its own documents');
  if (opts.dataPolicy !== undefined) return full('per-tenant data policies were given (e.g. read back from IAM): each tenant is evaluated');
  if (list.length < 2) return full('one tenant id');
  const text = documentText(sharedDocs, probeLiterals);
  if (text === undefined) return full('a document has a string the sampling cannot read');
  const named = literalTenantIds(list, text.naming);
  if (named.length > 0)
    return full(
      `a document names tenant id${named.length > 1 ? 's' : ''} ${named
        .slice(0, 3)
        .map((n) => JSON.stringify(n))
        .join(', ')}${named.length > 3 ? ` and ${named.length - 3} more` : ''} literally: every id is evaluated`,
    );
  const sample = representativeIds(list, text, opts.subject);
  return { sampling: { mode: 'representative', why: SAMPLING_WHY }, sample };
}
