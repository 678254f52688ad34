// What IAM checks in a policy document before storing it: JSON, grammar, the element rules
// that differ between identity policies and trust policies, and the size quotas.
// Messages are the ones IAM returns (MalformedPolicyDocument / LimitExceeded).
import { SandboxError } from './contract.js';
import type { PolicyDocument } from '../policy/types.js';

export type PolicyKind = 'identity' | 'trust';

export const INLINE_ROLE_POLICY_QUOTA = 10_240;
export const MANAGED_POLICY_QUOTA = 6_144;
export const TRUST_POLICY_QUOTA = 2_048;

const BASE_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_KEYS = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);

function malformed(message: string): SandboxError {
  return new SandboxError('MalformedPolicyDocument', message);
}

/** Characters IAM counts toward the size quotas: whitespace is not counted. */
export function policySize(text: string): number {
  return text.replace(/\s/g, '').length;
}

function isStringOrStrings(v: unknown): v is string | string[] {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

function knownOperator(op: string): boolean {
  const base = op.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '');
  if (!BASE_OPERATORS.has(base)) return false;
  return !(base === 'Null' && op.endsWith('IfExists'));
}

/** Parses and checks a policy document; throws MalformedPolicyDocument as IAM would. */
export function validatePolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed('Syntax errors in policy.');
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!['Version', 'Id', 'Statement'].includes(k)) throw malformed('Syntax errors in policy.');
  if (top.Version !== undefined && top.Version !== '2012-10-17' && top.Version !== '2008-10-17') throw malformed('The policy failed legacy parsing');
  if (top.Statement === undefined) throw malformed('Syntax errors in policy.');
  const statements = Array.isArray(top.Statement) ? top.Statement : [top.Statement];
  if (statements.length === 0) throw malformed('Syntax errors in policy.');
  const sids = new Set<string>();
  for (const raw of statements) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('Syntax errors in policy.');
    const st = raw as Record<string, unknown>;
    for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) throw malformed('Syntax errors in policy.');
    if (st.Sid !== undefined) {
      if (typeof st.Sid !== 'string') throw malformed('Syntax errors in policy.');
      if (kind === 'identity' && !/^[0-9A-Za-z]*$/.test(st.Sid))
        throw malformed('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
      if (st.Sid !== '' && sids.has(st.Sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
      sids.add(st.Sid);
    }
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(st.Effect === undefined ? 'Missing required field Effect' : 'Syntax errors in policy.');
    const actions = st.Action ?? st.NotAction;
    if (st.Action !== undefined && st.NotAction !== undefined) throw malformed('Syntax errors in policy.');
    if (actions === undefined) throw malformed('Policy statement must contain actions.');
    if (!isStringOrStrings(actions)) throw malformed('Syntax errors in policy.');
    for (const a of typeof actions === 'string' ? [actions] : actions)
      if (a !== '*' && !/^[a-zA-Z0-9-]+:[^:]*$/.test(a)) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    const hasResource = st.Resource !== undefined || st.NotResource !== undefined;
    const principal = st.Principal ?? st.NotPrincipal;
    if (kind === 'identity') {
      if (principal !== undefined) throw malformed('Policy document should not specify a principal.');
      if (!hasResource) throw malformed('Policy statement must contain resources.');
      if (st.Resource !== undefined && st.NotResource !== undefined) throw malformed('Syntax errors in policy.');
      const resources = st.Resource ?? st.NotResource;
      if (!isStringOrStrings(resources)) throw malformed('Syntax errors in policy.');
      for (const r of typeof resources === 'string' ? [resources] : resources)
        if (r !== '*' && !r.startsWith('arn:')) throw malformed(`Resource ${r} must be in ARN format or "*".`);
    } else {
      if (hasResource) throw malformed('Has prohibited field Resource');
      if (principal === undefined) throw malformed('Missing required field Principal');
      if (principal !== '*') {
        if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) throw malformed('Invalid principal in policy');
        for (const [k, v] of Object.entries(principal as Record<string, unknown>)) {
          if (!PRINCIPAL_KEYS.has(k) || !isStringOrStrings(v)) throw malformed('Invalid principal in policy');
        }
      }
      for (const a of typeof actions === 'string' ? [actions] : actions)
        if (st.Action !== undefined && a !== '*' && !/^sts:/i.test(a)) throw malformed('AssumeRole policy may only specify STS AssumeRole actions.');
    }
    if (st.Condition !== undefined) {
      if (typeof st.Condition !== 'object' || st.Condition === null || Array.isArray(st.Condition)) throw malformed('Syntax errors in policy.');
      for (const [op, block] of Object.entries(st.Condition as Record<string, unknown>)) {
        if (!knownOperator(op)) throw malformed(`Invalid Condition type : ${op}`);
        if (typeof block !== 'object' || block === null || Array.isArray(block)) throw malformed('Syntax errors in policy.');
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          if (!key.includes(':')) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
          const values = Array.isArray(value) ? value : [value];
          if (values.some((x) => !['string', 'number', 'boolean'].includes(typeof x))) throw malformed('Syntax errors in policy.');
        }
      }
    }
  }
  return doc as PolicyDocument;
}
