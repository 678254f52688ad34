// iam:SimulatePrincipalPolicy: the identity policies (inline and attached) and the permissions
// boundary of a user or role, judged by the evaluator the sandbox enforces with
// (src/policy/evaluate.ts), for each action on each resource, in AWS's response shape
// (botocore's SimulatePolicyResponse: EvaluationResults with EvalDecision allowed | explicitDeny |
// implicitDeny, MatchedStatements, MissingContextValues, ResourceSpecificResults).
// What the sandbox does not simulate: resource policies (InvalidInput), SCPs, groups.
import { evaluate as policyEvaluate } from '../policy/index.js';
import type { ContextValue, EvalResult, PolicyDocument } from '../policy/types.js';
import { SandboxError } from './contract.js';
import { ADMIN_USER_NAME } from './context.js';
import { ARN, MARKER, MAX_ITEMS, type Handler, type IamKit } from './iam-kit.js';
import { latest, managedPolicyDocument, parsePolicyArn } from './iam-store.js';
import { validatePolicyDocument } from './policy-validate.js';
import { memberList, optionalInt, optionalString, requiredString, type QueryParams, type XmlObject } from './query.js';

interface SourcedPolicy {
  id: string;
  type: 'user' | 'role' | 'user-managed' | 'aws-managed' | 'none';
  doc: PolicyDocument;
}

const DECISION: Record<EvalResult['decision'], string> = {
  Allow: 'allowed',
  ExplicitDeny: 'explicitDeny',
  ImplicitDeny: 'implicitDeny',
  // A construct the evaluator cannot judge grants nothing here: never kinder than AWS.
  CannotEvaluate: 'implicitDeny',
};

function managed(k: IamKit, arn: string): SourcedPolicy | undefined {
  const doc = managedPolicyDocument(k.state, arn);
  const name = parsePolicyArn(arn)?.name ?? arn;
  return doc ? { id: name, type: arn.startsWith('arn:aws:iam::aws:') ? 'aws-managed' : 'user-managed', doc } : undefined;
}

/** The principal's identity policies and boundary, as IAM's writer knows them. */
function principalPolicies(k: IamKit, arn: string): { identity: SourcedPolicy[]; boundary: SourcedPolicy | undefined } {
  const m = /^arn:aws:iam::(\d{12}):(user|role|group)(\/.*)?\/([\w+=,.@-]+)$/.exec(arn);
  if (!m) throw new SandboxError('InvalidInput', `Invalid ARN: ${arn}`, 400);
  const [, account, kind, , name] = m as unknown as [string, string, string, string | undefined, string];
  if (account !== k.d.accountId) throw new SandboxError('NoSuchEntity', `The ${kind} with name ${name} cannot be found.`, 404);
  // The sandbox's admin keys act as the account's administrator: simulated as AdministratorAccess.
  if (kind === 'user' && name === ADMIN_USER_NAME)
    return {
      identity: [
        { id: 'AdministratorAccess', type: 'aws-managed', doc: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
      ],
      boundary: undefined,
    };
  if (kind === 'user') {
    const user = k.users[name.toLowerCase()];
    if (!user || user.arn !== arn) throw new SandboxError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
    const identity: SourcedPolicy[] = Object.entries(user.inline).map(([id, text]) => ({ id, type: 'user', doc: JSON.parse(text) as PolicyDocument }));
    for (const a of user.attached) {
      const p = managed(k, a);
      if (p) identity.push(p);
    }
    return { identity, boundary: user.boundary !== undefined ? managed(k, user.boundary) : undefined };
  }
  if (kind === 'role') {
    const rec = k.state.roles[name.toLowerCase()];
    const core = latest(rec?.core);
    if (!rec || !core || core.arn !== arn) throw new SandboxError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    const identity: SourcedPolicy[] = [];
    for (const [id, v] of Object.entries(rec.inline)) {
      const text = latest(v);
      if (text !== undefined) identity.push({ id, type: 'role', doc: JSON.parse(text) as PolicyDocument });
    }
    for (const a of latest(rec.attached) ?? []) {
      const p = managed(k, a);
      if (p) identity.push(p);
    }
    const b = latest(rec.boundary);
    return { identity, boundary: b !== undefined ? managed(k, b) : undefined };
  }
  throw new SandboxError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
}

/** ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}. */
function contextEntries(p: QueryParams): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (let i = 1; ; i++) {
    const prefix = `ContextEntries.member.${i}`;
    const key = p[`${prefix}.ContextKeyName`];
    if (key === undefined) break;
    const type = p[`${prefix}.ContextKeyType`];
    const values = memberList(p, `${prefix}.ContextKeyValues`);
    if (type === undefined) throw new SandboxError('InvalidInput', `ContextKeyType must be specified for context key ${key}.`, 400);
    if (!/^(string|numeric|boolean|ip|binary|date)(List)?$/.test(type))
      throw new SandboxError(
        'ValidationError',
        `1 validation error detected: Value '${type}' at 'contextEntries.${i}.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList]`,
        400,
      );
    out[key] = type.endsWith('List') ? values : (values[0] ?? '');
  }
  return out;
}

function policyInputs(p: QueryParams, field: string): SourcedPolicy[] {
  return memberList(p, field).map((text, i) => {
    return { id: `${field}.${i + 1}`, type: 'none' as const, doc: validatePolicyDocument(text, 'identity') };
  });
}

function matched(result: EvalResult, identity: SourcedPolicy[], boundary: SourcedPolicy | undefined): XmlObject[] {
  return result.decidedBy.map((s) => {
    const src = s.policy === 'boundary' ? boundary : identity[Number(/\[(\d+)\]/.exec(s.policy)?.[1] ?? -1)];
    return { SourcePolicyId: src?.id ?? s.policy, SourcePolicyType: src?.type ?? 'none' };
  });
}

export function simulateHandlers(k: IamKit, evaluate = policyEvaluate): Record<string, Handler> {
  const simulatePrincipalPolicy = (p: QueryParams): XmlObject => {
    const source = requiredString(p, 'PolicySourceArn', ARN);
    const actions = memberList(p, 'ActionNames');
    if (actions.length === 0)
      throw new SandboxError(
        'ValidationError',
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        400,
      );
    if (optionalString(p, 'ResourcePolicy') !== undefined)
      throw new SandboxError('InvalidInput', 'The isoctl sandbox does not simulate resource-based policies (ResourcePolicy).', 400);
    const given = memberList(p, 'ResourceArns');
    const resources = given.length > 0 ? given : ['*'];
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS) ?? 100;
    const context = contextEntries(p);
    const principal = principalPolicies(k, source);
    const identity = [...principal.identity, ...policyInputs(p, 'PolicyInputList')];
    const boundaryInputs = policyInputs(p, 'PermissionsBoundaryPolicyInputList');
    const boundary = boundaryInputs[0] ?? principal.boundary;

    const results: XmlObject[] = [];
    for (const action of actions)
      for (const resource of resources) {
        const request = { action, resource, context, identityPolicies: identity.map((s) => s.doc), ...(boundary ? { permissionsBoundary: boundary.doc } : {}) };
        const r = evaluate(request);
        const decision = DECISION[r.decision];
        const statements = matched(r, identity, boundary);
        const out: XmlObject = {
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: decision,
          MatchedStatements: statements,
          MissingContextValues: [],
        };
        if (boundary) {
          const inBoundary = evaluate({ action, resource, context, identityPolicies: [boundary.doc] }).decision === 'Allow';
          out.PermissionsBoundaryDecisionDetail = { AllowedByPermissionsBoundary: inBoundary };
        }
        if (given.length > 0)
          out.ResourceSpecificResults = [
            { EvalResourceName: resource, EvalResourceDecision: decision, MatchedStatements: statements, MissingContextValues: [] },
          ];
        results.push(out);
      }
    const start = marker === undefined ? 0 : Number(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0 || start > results.length) throw new SandboxError('InvalidInput', 'Invalid Marker.', 400);
    const page = results.slice(start, start + maxItems);
    const truncated = start + maxItems < results.length;
    const next = truncated ? Buffer.from(String(start + maxItems)).toString('base64url') : undefined;
    return { EvaluationResults: page, IsTruncated: truncated, Marker: next };
  };
  return { SimulatePrincipalPolicy: simulatePrincipalPolicy };
}
