// AWS's policy evaluation logic for one request: identity-based policies, intersected with the
// permissions boundary; an explicit deny anywhere wins. Documents are compiled once (cached per
// document object) so the sandbox can run this on every DynamoDB request.
//
// Semantics follow AWS's documentation; where the docs are silent they follow
// @cloud-copilot/iam-simulate, against which test/policy/differential.test.ts checks agreement:
// - condition key names are case-insensitive; values are case-sensitive except *IgnoreCase;
// - `*` / `?` in Resource, StringLike and Arn* span every character (including `/`); the first
//   five ARN fields are matched separately and case-insensitively in Resource;
// - a policy variable that cannot be resolved (missing, empty or multi-valued key, no default)
//   makes that value match nothing; `${*}` `${?}` `${$}` are literal; no variables in 2008-10-17;
// - single-valued operators on a multi-valued (array) key never match; negated operators and
//   ...IfExists match a missing key; ForAllValues matches a missing or empty key, ForAnyValue
//   never does (ForAnyValue...IfExists matches a missing key, as AWS documents);
// - Null treats an empty multi-valued key as absent (AWS's "null data set"), so
//   `Null {dynamodb:LeadingKeys: false}` refuses an empty key list as it refuses a missing one.
// Anything else (BinaryEquals, IpAddress, NotPrincipal, a malformed statement) makes the
// result CannotEvaluate unless an explicit deny already decided: it never becomes Allow.
import { matchResolved, resolveTemplate, type ContextMap, type Template } from './pattern.js';
import {
  compile,
  parseDate,
  parseNumber,
  parseRequestResource,
  principalMatches,
  resourceMatches,
  statementsFor,
  type CompiledCondition,
  type CompiledPolicy,
  type CompiledStatement,
  type CompiledValue,
  type RequestResource,
} from './compile.js';
import type { ContextValue, DecidingStatement, EvalRequest, EvalResult, PolicyDocument } from './types.js';

// ---------------------------------------------------------------------------------------------
// Conditions

function scalar(v: ContextValue): string {
  return typeof v === 'string' ? v : String(v);
}

const lowerKeys = new Map<string, string>();

function lowerKey(k: string): string {
  let l = lowerKeys.get(k);
  if (l === undefined) {
    l = k.toLowerCase();
    if (lowerKeys.size >= 10_000) lowerKeys.clear();
    lowerKeys.set(k, l);
  }
  return l;
}

function allStrings(v: unknown[]): v is string[] {
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** Lower-cases context keys; booleans and numbers become the strings IAM sees. */
export function normalizeContext(context: Record<string, ContextValue | undefined>): Map<string, string | string[]> {
  const m = new Map<string, string | string[]>();
  for (const k in context) {
    const v = context[k];
    if (v === undefined || v === null) continue;
    m.set(lowerKey(k), Array.isArray(v) ? (allStrings(v) ? v : (v as unknown[]).map((x) => scalar(x as ContextValue))) : typeof v === 'string' ? v : scalar(v));
  }
  return m;
}

/** Whether one request value satisfies one (non-negated) policy value. undefined: the policy value is unusable (never matches). */
function valueMatches(c: CompiledCondition, v: CompiledValue, actual: string, ctx: ContextMap): boolean | undefined {
  switch (c.base) {
    case 'StringEquals': {
      const r = resolveTemplate(v.t, ctx);
      return r === undefined ? undefined : r === actual;
    }
    case 'StringEqualsIgnoreCase': {
      const r = resolveTemplate(v.t, ctx);
      return r === undefined ? undefined : r.toLowerCase() === actual.toLowerCase();
    }
    case 'StringLike': {
      const r = resolveTemplate(v.t, ctx);
      return r === undefined ? undefined : matchResolved(r, v.t.wild, actual);
    }
    case 'Bool': {
      const r = resolveTemplate(v.t, ctx)?.toLowerCase();
      if (r !== 'true' && r !== 'false') return undefined;
      const a = actual.toLowerCase();
      if (a !== 'true' && a !== 'false') return false;
      return a === r;
    }
    case 'ArnLike': {
      if (!v.arn) return undefined;
      const f = actual.split(':');
      if (f.length < 5) return false;
      const parts = [...f.slice(1, 5), f.slice(5).join(':')];
      for (let i = 0; i < 5; i++) {
        const t = v.arn[i] as Template;
        const r = resolveTemplate(t, ctx);
        if (r === undefined) return undefined;
        if (!matchResolved(r, t.wild, parts[i] as string)) return false;
      }
      return true;
    }
    case 'Null':
      return undefined;
    default: {
      if (v.num === undefined) return undefined;
      const a = c.base.startsWith('Numeric') ? parseNumber(actual) : parseDate(actual);
      if (a === undefined) return false;
      const p = v.num;
      switch (c.base) {
        case 'NumericEquals':
        case 'DateEquals':
          return a === p;
        case 'NumericLessThan':
        case 'DateLessThan':
          return a < p;
        case 'NumericLessThanEquals':
        case 'DateLessThanEquals':
          return a <= p;
        case 'NumericGreaterThan':
        case 'DateGreaterThan':
          return a > p;
        default:
          return a >= p;
      }
    }
  }
}

/** One request value against all policy values: any match (positive), or no match and all usable (negated). */
function oneValue(c: CompiledCondition, actual: string, ctx: ContextMap): boolean {
  if (c.negated) {
    for (const v of c.values) {
      const m = valueMatches(c, v, actual, ctx);
      if (m !== false) return false;
    }
    return true;
  }
  for (const v of c.values) if (valueMatches(c, v, actual, ctx) === true) return true;
  return false;
}

function conditionMatches(c: CompiledCondition, ctx: ContextMap): boolean {
  const raw = ctx.get(c.key);
  if (c.base === 'Null') {
    const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
    const goal = present ? 'false' : 'true';
    return c.values.some((v) => (v.t.fixed ?? '').toLowerCase() === goal);
  }
  if (c.set === 0) {
    if (raw === undefined) return c.ifExists || c.negated;
    if (typeof raw !== 'string') return false;
    return oneValue(c, raw, ctx);
  }
  if (raw === undefined) return c.set === 1 || c.ifExists;
  if (typeof raw === 'string') return oneValue(c, raw, ctx);
  if (c.set === 1) {
    for (const a of raw) if (!oneValue(c, a, ctx)) return false;
    return true;
  }
  for (const a of raw) if (oneValue(c, a, ctx)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Statements and decisions

type StatementOutcome = 0 | 1 | 2; // no match, match, cannot evaluate

/** Whether a statement already known to cover the action applies to the request. */
function statementApplies(
  st: CompiledStatement,
  resource: RequestResource | undefined,
  principal: { Federated?: string; AWS?: string; Service?: string } | undefined,
  ctx: ContextMap,
): StatementOutcome {
  if (st.unsupported) return 2;
  if (st.resources !== undefined && resource !== undefined) {
    let any = false;
    for (const r of st.resources)
      if (resourceMatches(r, resource, ctx)) {
        any = true;
        break;
      }
    if (any === st.notResource) return 0;
  }
  if (st.principal !== undefined && principal !== undefined && !principalMatches(st.principal, principal)) return 0;
  for (const c of st.conditions) if (!conditionMatches(c, ctx)) return 0;
  return 1;
}

interface PolicyScan {
  allows: DecidingStatement[];
  denies: DecidingStatement[];
  unsupported: string | undefined;
}

function scanPolicy(
  compiled: CompiledPolicy,
  label: string,
  action: string,
  resource: RequestResource | undefined,
  principal: { Federated?: string; AWS?: string; Service?: string } | undefined,
  ctx: ContextMap,
  into: PolicyScan,
): void {
  if (compiled.unsupported && !into.unsupported) into.unsupported = `${label}: ${compiled.unsupported} is not supported`;
  for (const st of statementsFor(compiled, action)) {
    const o = statementApplies(st, resource, principal, ctx);
    if (o === 0) continue;
    if (o === 2) {
      if (!into.unsupported) into.unsupported = `${label} ${st.unsupported}`;
      continue;
    }
    let d = st.decided.get(label);
    if (d === undefined) {
      d = { policy: label, index: st.index, effect: st.effect };
      if (st.sid !== undefined) d.sid = st.sid;
      st.decided.set(label, d);
    }
    (st.effect === 'Deny' ? into.denies : into.allows).push(d);
  }
}

function cannotEvaluate(unsupported: string): EvalResult {
  return { decision: 'CannotEvaluate', decidedBy: [], reason: `cannot evaluate: ${unsupported}`, unsupported };
}

export function evaluate(req: EvalRequest): EvalResult {
  return evaluateNormalized(req, normalizeContext(req.context));
}

/** evaluate() with the context already normalised (lower-case keys, string values): for callers that build many requests. */
export function evaluateNormalized(req: Omit<EvalRequest, 'context'>, ctx: ContextMap): EvalResult {
  const action = lowerKey(req.action);
  const resource = parseRequestResource(req.resource);
  const identity: PolicyScan = { allows: [], denies: [], unsupported: undefined };
  req.identityPolicies.forEach((doc, i) => scanPolicy(compile(doc, 'identity'), `identity[${i}]`, action, resource, undefined, ctx, identity));
  let boundary: PolicyScan | undefined;
  if (req.permissionsBoundary !== undefined) {
    boundary = { allows: [], denies: [], unsupported: undefined };
    scanPolicy(compile(req.permissionsBoundary, 'identity'), 'boundary', action, resource, undefined, ctx, boundary);
  }
  if (identity.denies.length > 0) return { decision: 'ExplicitDeny', decidedBy: identity.denies, reason: 'explicit deny in an identity-based policy' };
  if (boundary && boundary.denies.length > 0)
    return { decision: 'ExplicitDeny', decidedBy: boundary.denies, reason: 'explicit deny in a permissions boundary' };
  const unsupported = identity.unsupported ?? boundary?.unsupported;
  if (unsupported) return cannotEvaluate(unsupported);
  if (identity.allows.length === 0) return { decision: 'ImplicitDeny', decidedBy: [], reason: `no identity-based policy allows the ${req.action} action` };
  if (boundary && boundary.allows.length === 0)
    return { decision: 'ImplicitDeny', decidedBy: [], reason: `no permissions boundary allows the ${req.action} action` };
  return { decision: 'Allow', decidedBy: [...identity.allows, ...(boundary?.allows ?? [])] };
}

/**
 * Resource-policy style check of a role's trust policy, as STS does for
 * AssumeRoleWithWebIdentity (and Cognito's GetCredentialsForIdentity), and for sts:TagSession
 * when session tags are passed (context `aws:TagKeys`, `aws:RequestTag/<k>`).
 */
export function evaluateTrust(
  trust: PolicyDocument,
  req: { action: string; principal: { Federated?: string; AWS?: string; Service?: string }; context: Record<string, ContextValue | undefined> },
): EvalResult {
  const ctx = normalizeContext(req.context);
  const scan: PolicyScan = { allows: [], denies: [], unsupported: undefined };
  scanPolicy(compile(trust, 'trust'), 'trust', lowerKey(req.action), undefined, req.principal, ctx, scan);
  if (scan.denies.length > 0) return { decision: 'ExplicitDeny', decidedBy: scan.denies, reason: 'explicit deny in the trust policy' };
  if (scan.unsupported) return cannotEvaluate(scan.unsupported);
  if (scan.allows.length === 0) {
    const who = req.principal.Federated ?? req.principal.AWS ?? req.principal.Service ?? 'the caller';
    return { decision: 'ImplicitDeny', decidedBy: [], reason: `no statement of the role's trust policy allows ${who} the ${req.action} action` };
  }
  return { decision: 'Allow', decidedBy: scan.allows };
}

/**
 * AWS's AccessDenied text for a result that is not Allow, e.g. "User: arn:aws:sts::1:assumed-role/r/s
 * is not authorized to perform: dynamodb:Query on resource: arn:... because no identity-based policy
 * allows the dynamodb:Query action".
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, result: EvalResult): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  if (result.decision === 'ExplicitDeny') return `${head} with an ${result.reason ?? 'explicit deny'}`;
  if (result.decision === 'CannotEvaluate') return `${head} because the policy could not be evaluated (${result.unsupported ?? 'unsupported construct'})`;
  return `${head} because ${result.reason ?? `no identity-based policy allows the ${action} action`}`;
}
