// The one serialisation of a policy document (what isoctl sends to IAM and writes to golden
// files) and the semantic comparison used for drift detection against what IAM returns.
import type { ConditionBlock, ConditionValue, PolicyDocument, PolicyStatement } from './types.js';

const STATEMENT_KEYS = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const;

function sortedObject<T>(obj: Record<string, T>, map: (v: T) => unknown = (v) => v): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = map(obj[k] as T);
  return out;
}

function orderStatement(s: PolicyStatement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = s as unknown as Record<string, unknown>;
  for (const k of STATEMENT_KEYS) {
    const v = src[k];
    if (v === undefined) continue;
    if ((k === 'Principal' || k === 'NotPrincipal') && typeof v === 'object' && v !== null) out[k] = sortedObject(v as Record<string, unknown>);
    else if (k === 'Condition') out[k] = sortedObject(v as ConditionBlock, (keys) => sortedObject(keys));
    else out[k] = v;
  }
  // Unknown keys keep their place at the end (IAM would reject them; never drop data silently).
  for (const k of Object.keys(src).sort()) if (!(STATEMENT_KEYS as readonly string[]).includes(k) && src[k] !== undefined) out[k] = src[k];
  return out;
}

/** Stable key order (Version, Id, Statement; statement keys in IAM's order; condition operators and keys sorted), compact JSON. */
export function serializePolicy(doc: PolicyDocument): string {
  const out: Record<string, unknown> = { Version: doc.Version };
  if (doc.Id !== undefined) out.Id = doc.Id;
  out.Statement = Array.isArray(doc.Statement) ? doc.Statement.map(orderStatement) : orderStatement(doc.Statement);
  return JSON.stringify(out);
}

/** Characters IAM counts against its size quotas: whitespace is not counted. */
export function policySize(doc: PolicyDocument | string): number {
  const text = typeof doc === 'string' ? doc : serializePolicy(doc);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) n++;
  }
  return n;
}

/** Parses a policy as IAM returns it: JSON, or URL-encoded JSON (GetRolePolicy, GetRole). */
export function parsePolicy(input: PolicyDocument | string): PolicyDocument {
  if (typeof input !== 'string') return input;
  const text = input.trim();
  if (text.startsWith('{')) return JSON.parse(text) as PolicyDocument;
  return JSON.parse(decodeURIComponent(text)) as PolicyDocument;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function conditionValueStrings(v: ConditionValue): string[] {
  return [...new Set(asList(v).map((x) => String(x)))].sort();
}

function canonicalStatement(s: PolicyStatement): unknown {
  const src = s as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { Effect: s.Effect };
  for (const k of ['Action', 'NotAction'] as const) {
    if (src[k] !== undefined) out[k] = [...new Set(asList(src[k]).map((a) => String(a).toLowerCase()))].sort();
  }
  for (const k of ['Resource', 'NotResource'] as const) {
    if (src[k] !== undefined) out[k] = [...new Set(asList(src[k]).map(String))].sort();
  }
  for (const k of ['Principal', 'NotPrincipal'] as const) {
    const p = src[k];
    if (p === undefined) continue;
    if (typeof p === 'string') out[k] = p;
    else out[k] = sortedObject(p as Record<string, unknown>, (v) => [...new Set(asList(v).map(String))].sort());
  }
  if (s.Condition !== undefined) {
    const cond: Record<string, Record<string, string[]>> = {};
    for (const [op, keys] of Object.entries(s.Condition)) {
      const merged = (cond[op] ??= {});
      for (const [key, value] of Object.entries(keys)) {
        // Condition key names are case-insensitive in IAM.
        const k = key.toLowerCase();
        merged[k] = [...new Set([...(merged[k] ?? []), ...conditionValueStrings(value)])].sort();
      }
    }
    if (Object.keys(cond).length > 0) out.Condition = sortedObject(cond, (keys) => sortedObject(keys));
  }
  for (const k of Object.keys(src).sort()) {
    if (['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'].includes(k)) continue;
    if (src[k] !== undefined) out[k] = src[k];
  }
  return out;
}

/** A canonical string of a document's meaning: Sid and Id ignored, single values as lists, lists as sorted sets, statements as a sorted set. */
export function canonicalPolicy(input: PolicyDocument | string): string {
  const doc = parsePolicy(input);
  const statements = asList(doc.Statement).map((s) => JSON.stringify(canonicalStatement(s as PolicyStatement)));
  return JSON.stringify({ Version: doc.Version ?? '2008-10-17', Statement: [...new Set(statements)].sort() });
}

/**
 * Semantic equality for drift detection: a string and a one-element array are the same, key
 * order and whitespace do not matter, IAM's URL-encoded form is accepted, Sids are ignored.
 * A document that cannot be parsed equals nothing.
 */
export function policiesEqual(a: PolicyDocument | string, b: PolicyDocument | string): boolean {
  try {
    return canonicalPolicy(a) === canonicalPolicy(b);
  } catch {
    return false;
  }
}
