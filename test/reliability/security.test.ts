// Security:
//   - `tenant delete` and `gc --apply` never touch a role with a tenant role's name that is outside
//     /isoctl/<stack>/ (elsewhere, deeper, another stack's path) or lacks the stack's tags, nor a
//     group or rule that maps to it; delete refuses (exit 4) with zero mutating calls;
//   - the operator policy (src/policy buildOperatorPolicy), evaluated with src/policy's evaluate:
//     no role without the boundary, no removing or changing the boundary, nothing on other paths;
//     and it does allow what isoctl itself sends;
//   - a tenant's probe credentials are used for that tenant only.
import { CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CreateRoleCommand, PutRolePolicyCommand, type Tag } from '@aws-sdk/client-iam';
import { GetIdentityPoolRolesCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { StackConfig } from '../../src/config/schema.js';
import { boundaryPolicyArn, buildOperatorPolicy, evaluate, type PolicyDocument } from '../../src/policy/index.js';
import { desiredTenant, resolveScopes } from '../../src/tenant/desired.js';
import { diffState, mutatingCalls, snapshot, startStack, type Snapshot, type Stack } from './helpers.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
});
const WIDE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] });
const tags = (o: Record<string, string>): Tag[] => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));

/** Roles named like tenant roles of stack `sec`, that are not the stack's. */
const LOOKALIKES: Array<{ tenant: string; path: string; tags: Record<string, string>; why: string }> = [
  {
    tenant: 'mallory',
    path: '/',
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'sec', 'isoctl:tenant': 'mallory' },
    why: 'outside the stack path (at /)',
  },
  {
    tenant: 'nested',
    path: '/isoctl/sec/deep/',
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'sec', 'isoctl:tenant': 'nested' },
    why: 'below the stack path',
  },
  {
    tenant: 'sibling',
    path: '/isoctl/sec2/',
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'sec', 'isoctl:tenant': 'sibling' },
    why: 'under a path that starts like the stack path',
  },
  { tenant: 'eve', path: '/isoctl/sec/', tags: {}, why: 'at the stack path without tags' },
  {
    tenant: 'trudy',
    path: '/isoctl/sec/',
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'other', 'isoctl:tenant': 'trudy' },
    why: "another stack's tag",
  },
  { tenant: 'oscar', path: '/isoctl/sec/', tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:tenant': 'oscar' }, why: 'no stack tag' },
  {
    tenant: 'peggy',
    path: '/isoctl/sec/',
    tags: { 'isoctl:managed-by': 'terraform', 'isoctl:stack': 'sec', 'isoctl:tenant': 'peggy' },
    why: 'managed-by someone else',
  },
];

describe.each(['token', 'rules'] as const)('delete and gc never touch look-alike roles (%s mapping)', (mapping) => {
  let s: Stack;
  let base: Snapshot;

  beforeAll(async () => {
    s = await startStack({ stack: 'sec', mapping });
    expect((await s.cli(['init', '--json'])).code).toBe(0);
    for (const t of ['alpha', 'beta']) expect((await s.cli(['tenant', 'create', t, '--json'])).code).toBe(0);
    const iam = await s.clients.iam();
    const idp = await s.clients.cognitoIdp();
    for (const l of LOOKALIKES) {
      const name = `isoctl-sec-${l.tenant}`;
      await iam.send(new CreateRoleCommand({ RoleName: name, Path: l.path, AssumeRolePolicyDocument: TRUST, Tags: tags(l.tags) }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'isoctl-data', PolicyDocument: WIDE }));
    }
    // Mappings that point at the look-alikes, carrying isoctl's marks, as a confused hand-edit would.
    const arn = (t: string) => `arn:aws:iam::${s.sb.accountId}:role${LOOKALIKES.find((l) => l.tenant === t)!.path}isoctl-sec-${t}`;
    if (mapping === 'token') {
      for (const t of ['mallory', 'nested', 'eve'])
        await idp.send(
          new CreateGroupCommand({ UserPoolId: s.config.userPoolId, GroupName: t, RoleArn: arn(t), Description: `managed by isoctl: stack=sec tenant=${t}` }),
        );
    } else {
      const ci = await s.clients.cognitoIdentity();
      const roles = await ci.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: s.config.identityPoolId }));
      const key = `cognito-idp.${s.config.region}.amazonaws.com/${s.config.userPoolId}:${s.config.userPoolClientId}`;
      for (const t of ['mallory', 'nested', 'eve'])
        roles.RoleMappings![key]!.RulesConfiguration!.Rules!.push({ Claim: 'custom:tenant', MatchType: 'Equals', Value: t, RoleARN: arn(t) });
      await ci.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: s.config.identityPoolId, Roles: roles.Roles ?? {}, RoleMappings: roles.RoleMappings }));
    }
    base = await snapshot(s);
  });

  afterAll(async () => {
    await s?.stop();
  });

  it.each(LOOKALIKES.map((l) => [l.why, l.tenant] as const))('tenant delete refuses a role %s (exit 4, zero mutating calls)', async (_why, tenant) => {
    const mark = s.mark();
    const r = await s.cli(['tenant', 'delete', tenant, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json().error.code).toBe('not_owned');
    expect(r.json().error.message).toMatch(/isoctl only changes roles under its stack path that carry its tags/);
    expect(mutatingCalls(s.since(mark))).toEqual([]);
    // --dry-run refuses the same way: the plan never contains such a step.
    expect((await s.cli(['tenant', 'delete', tenant, '--dry-run', '--json'])).code).toBe(4);
  });

  it('gc --apply (no --min-age protection) lists none of them and removes nothing of theirs; the stack is as it was', async () => {
    const mark = s.mark();
    const r = await s.cli(['gc', '--apply', '--yes', '--min-age', '0s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const items = r.json().items as Array<{ tenant: string; target: string; state: string }>;
    expect(items.filter((i) => LOOKALIKES.some((l) => i.target.includes(l.tenant)))).toEqual([]);
    expect(items).toEqual([]);
    expect(mutatingCalls(s.since(mark)).filter((e) => e.service !== 'dynamodb')).toEqual([]);
    expect(diffState(s.config, base, ['alpha', 'beta'], await snapshot(s))).toEqual([]);
  });

  it('tenant create refuses to take a look-alike over (exit 4, zero mutating calls)', async () => {
    for (const l of LOOKALIKES) {
      const mark = s.mark();
      const r = await s.cli(['tenant', 'create', l.tenant, '--json']);
      expect(r.code, `${l.tenant}: ${r.stderr}`).toBe(4);
      expect(mutatingCalls(s.since(mark)), l.tenant).toEqual([]);
    }
    expect(diffState(s.config, base, ['alpha', 'beta'], await snapshot(s))).toEqual([]);
  });
});

describe('operator policy (src/policy buildOperatorPolicy, evaluated with src/policy evaluate)', () => {
  const config: StackConfig = validateConfig(
    {
      stack: 'prod',
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_AbC123xyz',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:1234abcd-0000-1111-2222-333344445555',
      mapping: 'token',
      tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
    },
    'test',
  );
  const op: PolicyDocument = buildOperatorPolicy(config);
  const boundary = boundaryPolicyArn(config);
  const acct = 'arn:aws:iam::123456789012';
  const ours = `${acct}:role/isoctl/prod/isoctl-prod-acme`;
  const decide = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    evaluate({ action, resource, context, identityPolicies: [op] }).decision;
  const stackTags = { 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'prod', 'aws:RequestTag/isoctl:tenant': 'acme' };
  const resourceTags = { 'aws:ResourceTag/isoctl:managed-by': 'isoctl', 'aws:ResourceTag/isoctl:stack': 'prod', 'aws:ResourceTag/isoctl:tenant': 'acme' };
  /** Everything a request could carry to look legitimate: the boundary, the stack's request and resource tags. */
  const everything = {
    'iam:PermissionsBoundary': boundary,
    ...stackTags,
    ...resourceTags,
    'aws:TagKeys': ['isoctl:managed-by', 'isoctl:stack', 'isoctl:tenant'],
    'iam:PassedToService': 'cognito-identity.amazonaws.com',
  };

  it("allows what tenant create, delete and init send (the role exactly as desiredTenant builds it; the boundary itself is init's admin step)", () => {
    const d = desiredTenant(config, 'acme', resolveScopes(config, undefined));
    const requestTags = Object.fromEntries(Object.entries(d.role.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]));
    const tagKeys = Object.keys(d.role.tags);
    const onRole = { 'iam:PermissionsBoundary': boundary, ...resourceTags };
    const calls: Array<[string, string, Record<string, string | string[]>]> = [
      // CreateRole with tags is authorised as CreateRole and as TagRole, both with the request's tags.
      ['iam:CreateRole', d.role.arn, { 'iam:PermissionsBoundary': boundary, ...requestTags, 'aws:TagKeys': tagKeys }],
      ['iam:TagRole', d.role.arn, { ...requestTags, ...resourceTags, 'aws:TagKeys': tagKeys }],
      ['iam:PutRolePolicy', d.role.arn, onRole],
      ['iam:PutRolePermissionsBoundary', d.role.arn, onRole],
      ['iam:GetRole', d.role.arn, {}],
      ['iam:PassRole', d.role.arn, { 'iam:PassedToService': 'cognito-identity.amazonaws.com' }],
      ['iam:DeleteRolePolicy', d.role.arn, resourceTags],
      ['iam:DeleteRole', d.role.arn, resourceTags],
      ['iam:GetPolicy', boundary, {}],
    ];
    const denied = calls.filter(([a, r, c]) => decide(a, r, c) !== 'Allow').map(([a, , c]) => `${a} ${JSON.stringify(c)}`);
    expect(denied).toEqual([]);
  });

  it('cannot create a role without the boundary, or with another one', () => {
    expect(decide('iam:CreateRole', ours, { ...stackTags })).not.toBe('Allow');
    expect(decide('iam:CreateRole', ours, { ...stackTags, 'iam:PermissionsBoundary': `${acct}:policy/isoctl/prod/other` })).not.toBe('Allow');
    expect(decide('iam:CreateRole', ours, { ...stackTags, 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' })).not.toBe('Allow');
    expect(decide('iam:CreateRole', ours, { ...stackTags, 'iam:PermissionsBoundary': `${acct}:policy/isoctl/staging/isoctl-staging-boundary` })).not.toBe(
      'Allow',
    );
  });

  it('cannot remove or change the boundary (of a role, or the boundary policy itself)', () => {
    for (const r of [ours, `${acct}:role/admin`, '*']) expect(decide('iam:DeleteRolePermissionsBoundary', r, everything), r).toBe('ExplicitDeny');
    expect(decide('iam:PutRolePermissionsBoundary', ours, { ...resourceTags, 'iam:PermissionsBoundary': `${acct}:policy/wide-open` })).not.toBe('Allow');
    // #11 vector 4: not even create it (CreatePolicy cannot constrain the document: an operator could pre-create it as Allow *:*).
    for (const a of [
      'iam:CreatePolicy',
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:DeletePolicyVersion',
      'iam:DeletePolicy',
      'iam:TagPolicy',
      'iam:UntagPolicy',
    ])
      expect(decide(a, boundary, everything), a).toBe('ExplicitDeny');
    // Nor rewrite a tenant role's trust policy (it could make the role trust the operator).
    expect(decide('iam:UpdateAssumeRolePolicy', ours, everything)).toBe('ExplicitDeny');
    // No managed policy other than the boundary can be made, attached or edited.
    for (const a of ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:AttachRolePolicy'])
      expect(decide(a, `${acct}:policy/isoctl/prod/other`, everything), a).not.toBe('Allow');
    expect(decide('iam:AttachRolePolicy', ours, { ...everything, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).not.toBe('Allow');
    // A role's inline policy cannot be put on a role whose boundary is not the stack's.
    expect(decide('iam:PutRolePolicy', ours, { ...resourceTags, 'iam:PermissionsBoundary': `${acct}:policy/wide-open` })).not.toBe('Allow');
  });

  it('cannot touch roles on other paths, whatever the request carries', () => {
    const elsewhere = [
      `${acct}:role/isoctl-prod-acme`,
      `${acct}:role/admin`,
      `${acct}:role/isoctl/staging/isoctl-staging-acme`,
      `${acct}:role/isoctl/prod2/isoctl-prod-acme`,
      `${acct}:role/isoctl/prodx/isoctl-prod-acme`,
      `${acct}:role/isoctl/prod/deeper/isoctl-prod-acme`,
      `${acct}:role/isoctl/prod/isoctl-prod-x/isoctl-prod-acme`,
      `${acct}:role/service-role/isoctl/prod/isoctl-prod-acme`,
      'arn:aws:iam::999999999999:role/isoctl/prod/isoctl-prod-acme',
    ];
    const actions = [
      'iam:CreateRole',
      'iam:DeleteRole',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:UpdateAssumeRolePolicy',
      'iam:TagRole',
      'iam:UntagRole',
      'iam:PutRolePermissionsBoundary',
      'iam:DeleteRolePermissionsBoundary',
      'iam:AttachRolePolicy',
      'iam:PassRole',
    ];
    const allowed: string[] = [];
    for (const r of elsewhere) for (const a of actions) if (decide(a, r, everything) === 'Allow') allowed.push(`${a} on ${r}`);
    expect(allowed).toEqual([]);
  });

  it("cannot touch roles of its own path that are not tagged as the stack's", () => {
    for (const a of ['iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:UntagRole']) {
      expect(decide(a, ours, { 'iam:PermissionsBoundary': boundary }), `${a} untagged`).not.toBe('Allow');
      expect(
        decide(a, ours, { 'iam:PermissionsBoundary': boundary, 'aws:ResourceTag/isoctl:managed-by': 'isoctl', 'aws:ResourceTag/isoctl:stack': 'staging' }),
        `${a} other stack`,
      ).not.toBe('Allow');
    }
    // Tags can only be set to the stack's own values: no re-labelling a role into another stack.
    expect(
      decide('iam:TagRole', ours, {
        'aws:RequestTag/isoctl:managed-by': 'isoctl',
        'aws:RequestTag/isoctl:stack': 'staging',
        'aws:TagKeys': ['isoctl:managed-by', 'isoctl:stack'],
      }),
    ).not.toBe('Allow');
  });

  it('gives no identity or data access beyond the stack', () => {
    for (const [a, r] of [
      ['iam:CreateUser', `${acct}:user/x`],
      ['iam:CreateAccessKey', `${acct}:user/x`],
      ['sts:AssumeRole', ours],
      ['dynamodb:Scan', 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders'],
      ['dynamodb:GetItem', 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders'],
      ['dynamodb:DeleteTable', 'arn:aws:dynamodb:eu-central-1:123456789012:table/isoctl-prod-lock'],
      ['cognito-idp:DeleteUserPool', 'arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbC123xyz'],
      ['cognito-idp:CreateGroup', 'arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_Other'],
      [
        'cognito-identity:DeleteIdentityPool',
        'arn:aws:cognito-identity:eu-central-1:123456789012:identitypool/eu-central-1:1234abcd-0000-1111-2222-333344445555',
      ],
    ] as const)
      expect(decide(a, r, everything), `${a} ${r}`).not.toBe('Allow');
  });
});

describe("a tenant's probe credentials are used for that tenant only", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ stack: 'prb', mapping: 'token' });
    expect((await s.cli(['init', '--json'])).code).toBe(0);
    for (const t of ['alpha', 'beta']) expect((await s.cli(['tenant', 'create', t, '--json'])).code).toBe(0);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("every request signed with temporary credentials during a probe comes from that tenant's role", async () => {
    const windows: Array<[string, string[]]> = [
      ['alpha', ['tenant', 'verify', 'alpha', '--json']],
      ['beta', ['tenant', 'verify', 'beta', '--json']],
      ['gamma', ['tenant', 'create', 'gamma', '--wait', 'data', '--json']],
      ['alpha', ['tenant', 'verify', 'alpha', '--json']],
    ];
    for (const [tenant, args] of windows) {
      const mark = s.mark();
      const r = await s.cli(args);
      expect(r.code, r.stderr).toBe(0);
      const sessions = s.since(mark).filter((e) => e.caller !== 'admin' && e.caller !== 'anonymous');
      // The probe made its reads as a session (own partition allowed, the other tenant's denied) ...
      expect(sessions.filter((e) => e.service === 'dynamodb').length, args.join(' ')).toBeGreaterThanOrEqual(2);
      // ... and every one of them as this tenant's role.
      expect([...new Set(sessions.map((e) => e.caller))], args.join(' ')).toEqual([`arn:aws:iam::${s.sb.accountId}:role/isoctl/prb/isoctl-prb-${tenant}`]);
    }
  });
});
