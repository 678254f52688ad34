// Concrete requests that exercise each Allow statement of a policy (the operator policy, for
// doctor's caller check): the statement's actions on a sample of each resource pattern, with a
// request context that satisfies the statement's own conditions. Asking IAM's policy simulator
// about these answers "may the caller do what isoctl's operator workflow does?" without doing it.
import type { ConditionValue, PolicyDocument, PolicyStatement } from './types.js';

export interface SampleRequest {
  /** The statement it exercises. */
  sid: string | undefined;
  actions: string[];
  resource: string;
  context: Record<string, string | string[]>;
}

/** What a `*` in a resource or condition pattern becomes. */
export const SAMPLE_NAME = 'isoctl-doctor-sample';

const MULTI_VALUED = new Set(['aws:tagkeys']);

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function sample(pattern: string): string {
  return pattern.replace(/\*/g, SAMPLE_NAME).replace(/\?/g, 'x');
}

/** A context satisfying the statement's positive conditions; undefined when it has one this cannot satisfy. */
function contextFor(s: PolicyStatement): Record<string, string | string[]> | undefined {
  const ctx: Record<string, string | string[]> = {};
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, value] of Object.entries(block) as Array<[string, ConditionValue]>) {
      const values = list(value).map(String);
      if (operator === 'Null') {
        if (values[0] === 'false' && ctx[key] === undefined) ctx[key] = MULTI_VALUED.has(key.toLowerCase()) ? [SAMPLE_NAME] : SAMPLE_NAME;
        continue;
      }
      const base = operator.replace(/^For(All|Any)Values:/, '').replace(/IfExists$/, '');
      if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike', 'StringEqualsIgnoreCase', 'Bool'].includes(base)) return undefined;
      const set = operator.startsWith('ForAllValues:') || MULTI_VALUED.has(key.toLowerCase());
      ctx[key] = set ? values.map(sample) : sample(values[0] ?? '');
    }
  }
  return ctx;
}

/** One sample request per Allow statement and resource pattern; statements with policy variables are left out. */
export function sampleRequests(doc: PolicyDocument, opts: { skipActions?: string[] } = {}): SampleRequest[] {
  const skip = new Set((opts.skipActions ?? []).map((a) => a.toLowerCase()));
  const out: SampleRequest[] = [];
  for (const s of list(doc.Statement)) {
    if (s.Effect !== 'Allow' || s.NotAction !== undefined || s.NotResource !== undefined) continue;
    const actions = list(s.Action).filter((a) => !a.includes('*') && !skip.has(a.toLowerCase()));
    if (actions.length === 0) continue;
    const context = contextFor(s);
    if (!context) continue;
    for (const r of list(s.Resource)) {
      if (r.includes('${')) continue;
      out.push({ sid: s.Sid, actions, resource: r === '*' ? '*' : sample(r), context });
    }
  }
  return out;
}
