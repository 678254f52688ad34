// The operator policy as IAM can attach it: first made smaller by exact merges only (what a
// statement allows or denies is the product of its actions and resources under its condition, so
// two statements with the same effect and condition and the same resources are one statement with
// both action lists, and with the same actions one statement with both resource lists: the same
// requests match, nothing is widened), then, when it still exceeds a managed policy's size, packed
// into numbered parts of whole statements, every part repeating the deny statements. IAM evaluates
// every policy attached to a principal together, so the parts attached side by side decide every
// request as the one document would, and one part alone never allows more than the whole.
// Pure functions, like the builders.
import { PolicyError } from './errors.js';
import { policySize } from './serialize.js';
import type { ConditionBlock, PolicyDocument, PolicyStatement } from './types.js';

/** A customer managed policy's size, characters without whitespace (IAM quotas). */
export const MANAGED_POLICY_CHARS = 6_144;
/** Managed policies attached to one IAM user or role (IAM's default quota; 20 when raised). */
export const MANAGED_POLICIES_PER_PRINCIPAL = 10;

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function one(values: string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : values;
}

/** Only statements made of these keys are merged (no Principal, NotAction, NotResource). */
const MERGEABLE = new Set(['Sid', 'Effect', 'Action', 'Resource', 'Condition']);

function conditionKey(c: ConditionBlock | undefined): string {
  if (c === undefined) return '';
  const ops = Object.keys(c).sort();
  return JSON.stringify(
    ops.map((op) => [
      op,
      Object.keys(c[op] ?? {})
        .sort()
        .map((k) => [k, list(c[op]?.[k]).map(String)]),
    ]),
  );
}

function setKey(values: string[]): string {
  return JSON.stringify([...new Set(values)].sort());
}

/**
 * Merges statements that differ only in their actions (same Effect, Condition and set of
 * resources) or only in their resources (same Effect, Condition and set of actions), until none
 * is left. Exact: every request matches a statement of the result exactly when it matched one of
 * the input. A merged statement takes the place of the first and joins the Sids; statements that
 * merge with nothing are returned as they are.
 */
export function mergeStatements(statements: PolicyStatement[]): PolicyStatement[] {
  let out = [...statements];
  for (let changed = true; changed;) {
    changed = false;
    for (const by of ['Action', 'Resource'] as const) {
      const other = by === 'Action' ? 'Resource' : 'Action';
      const firstAt = new Map<string, number>();
      const next: PolicyStatement[] = [];
      for (const s of out) {
        const mergeable = Object.keys(s).every((k) => MERGEABLE.has(k)) && s.Action !== undefined && s.Resource !== undefined;
        const key = mergeable ? JSON.stringify([s.Effect, conditionKey(s.Condition), setKey(list(s[other]))]) : undefined;
        const at = key === undefined ? undefined : firstAt.get(key);
        if (key === undefined || at === undefined) {
          if (key !== undefined) firstAt.set(key, next.length);
          next.push(s);
          continue;
        }
        const into = next[at] as PolicyStatement;
        const merged = [...new Set([...list(into[by]), ...list(s[by])])];
        next[at] = {
          ...into,
          ...(into.Sid !== undefined || s.Sid !== undefined ? { Sid: `${into.Sid ?? ''}${s.Sid ?? ''}` } : {}),
          [by]: one(by === 'Action' ? merged.sort() : merged),
        };
        changed = true;
      }
      out = next;
    }
  }
  return out;
}

/**
 * A statement too large for a policy of its own (beside `beside`), cut into statements over parts
 * of its resource list (the same actions, effect and condition: exact, the union matches the same
 * requests). The pieces keep the Sid, numbered from the second on. Throws PolicyError
 * 'over-limit' when a piece of one resource still does not fit.
 */
function fitStatement(s: PolicyStatement, beside: PolicyStatement[], version: PolicyDocument['Version'], limit: number): PolicyStatement[] {
  const size = (x: PolicyStatement) => policySize({ Version: version, Statement: [x, ...beside] });
  if (size(s) <= limit) return [s];
  const resources = list(s.Resource);
  const alone = policySize({ Version: version, Statement: [s] });
  const tooLarge = () =>
    new PolicyError(
      `operator policy statement ${s.Sid ?? '(no Sid)'} is ${alone.toLocaleString('en-US')} characters${beside.length > 0 ? ` (with the policy's ${beside.length} deny statements, which every part repeats, ${size(s).toLocaleString('en-US')})` : ''}; a managed policy holds ${limit.toLocaleString('en-US')}: reduce the tables or buckets in the config`,
      'over-limit',
      'limit_exceeded',
      { statement: s.Sid, chars: size(s), max: limit },
    );
  if (resources.length < 2) throw tooLarge();
  const piece = (rs: string[], k: number): PolicyStatement => ({
    ...s,
    ...(s.Sid !== undefined && k > 1 ? { Sid: `${s.Sid}${k}` } : {}),
    Resource: one(rs),
  });
  const pieces: string[][] = [];
  let current: string[] = [];
  for (const r of resources) {
    if (current.length > 0 && size(piece([...current, r], pieces.length + 1)) <= limit) {
      current.push(r);
      continue;
    }
    if (current.length > 0) pieces.push(current);
    current = [r];
    if (size(piece(current, pieces.length + 1)) > limit) throw tooLarge();
  }
  if (current.length > 0) pieces.push(current);
  return pieces.map((rs, i) => piece(rs, i + 1));
}

/**
 * Packs a policy's Allow statements, in order, into as few documents as the greedy order allows,
 * each within `limit` characters as IAM counts them (whitespace not counted), and repeats every
 * Deny statement in every part: a part attached without the others then never allows more than
 * the whole document (its allows are a subset, its denies all of them), e.g. the allows on
 * role/isoctl/<stack>/* never travel without the deny of deeper paths. Attached together, the
 * parts decide every request as the one document does. A document that fits is returned alone
 * and unchanged. An Allow statement too large for a part is first cut over its resource list
 * (fitStatement). Deterministic: the same document and limit give the same parts. Throws
 * PolicyError 'over-limit' when even one resource's statement (beside the denies) does not fit.
 */
export function splitOperatorPolicy(doc: PolicyDocument, limit: number): PolicyDocument[] {
  if (policySize(doc) <= limit) return [doc];
  const all = list(doc.Statement);
  const denies = all.filter((s) => s.Effect === 'Deny');
  const part = (allows: PolicyStatement[]): PolicyDocument => ({ Version: doc.Version, Statement: [...allows, ...denies] });
  const parts: PolicyStatement[][] = [];
  let current: PolicyStatement[] = [];
  for (const s of all.filter((x) => x.Effect !== 'Deny').flatMap((x) => fitStatement(x, denies, doc.Version, limit))) {
    if (current.length > 0 && policySize(part([...current, s])) > limit) {
      parts.push(current);
      current = [];
    }
    current.push(s);
  }
  if (current.length > 0 || parts.length === 0) parts.push(current);
  return parts.map(part);
}
