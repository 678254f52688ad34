// explain in ABAC mode, pure: a denial by a shared scope role `isoctl-prod-<scope>` is explained from
// the session's principal tag, never from the role name (which names the scope). The snapshots are
// the scope roles as init and the deny lists leave them (src/policy), then changed as each cause
// changes them. The same causes end to end: test/e2e/explain-abac-sandbox.test.ts.
import { describe, expect, it } from 'vitest';
import { stackConfigSchema, type StackConfig } from '../../src/config/schema.js';
import { accessDeniedMessage, buildScopeRoles, denyDocument, DENY_INLINE_POLICY_NAMES, type DenyEntry } from '../../src/policy/index.js';
import { parseAccessDenied } from '../../src/ops/explain/parse.js';
import { analyzeDenial, type ExplainInput, type RoleSnapshot } from '../../src/ops/explain/analyze.js';
import { factsFromFlags, type FactFlags } from '../../src/ops/explain/facts.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const NOW = Date.parse('2025-01-01T12:00:00Z');

const cfg: StackConfig = stackConfigSchema.parse({
  stack: 'prod',
  region: REGION,
  accountId: ACCOUNT,
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
  mapping: 'abac',
  tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
});

function scopeRole(denies: DenyEntry[] = []): RoleSnapshot {
  const spec = buildScopeRoles(cfg)[0]!;
  const inlinePolicies: Record<string, unknown> = structuredClone(spec.inlinePolicies);
  for (const kind of ['deleted', 'suspended', 'revoked'] as const) {
    const doc = denyDocument(denies.filter((e) => e.kind === kind));
    if (doc) inlinePolicies[DENY_INLINE_POLICY_NAMES[kind]] = doc;
  }
  return {
    name: spec.roleName,
    arn: spec.arn,
    path: spec.path,
    createDate: new Date(NOW - 86_400_000).toISOString(),
    tags: spec.tags,
    trustPolicy: spec.assumeRolePolicy,
    inlinePolicies,
    boundaryArn: spec.permissionsBoundary,
    boundaryDocument: undefined,
  };
}

function explain(
  flags: FactFlags,
  role = scopeRole(),
  map: Record<string, string> | undefined = { 'isoctl-tenant': 'custom:tenant' },
  clientReadsClaim?: boolean,
) {
  return analyzeDenial(input(flags, role, map, clientReadsClaim));
}

function input(
  flags: FactFlags,
  role = scopeRole(),
  map: Record<string, string> | undefined = { 'isoctl-tenant': 'custom:tenant' },
  clientReadsClaim?: boolean,
): ExplainInput {
  const msg = accessDeniedMessage(
    `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/CognitoIdentityCredentials`,
    'dynamodb:Query',
    `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders`,
    { decision: 'ImplicitDeny', decidedBy: [], reason: 'no identity-based policy allows the dynamodb:Query action' },
  );
  const denial = parseAccessDenied(msg);
  const facts = factsFromFlags(flags, { action: denial.action, table: denial.table, region: REGION, accountId: ACCOUNT, config: cfg, tenant: undefined });
  return { denial, config: cfg, role, principalTagMap: { known: true, tags: map }, facts, at: NOW, clientReadsClaim };
}

describe('explain on an ABAC scope-role session', () => {
  it('the tenant comes from the session tag, not the role name (the scope "read")', () => {
    const r = explain({ principalTag: ['isoctl-tenant=acme'], key: ['globex'] });
    expect(r.tenant).toBe('acme');
    expect(r.cause).toMatchObject({ id: 'principal-tag-wrong', certainty: 'certain' });
    expect(r.evaluation?.context['aws:PrincipalTag/isoctl-tenant']).toBe('acme');
  });

  it('own key, tag present, nothing isoctl denies: allowed now (the policy allows acme its own key)', () => {
    const r = explain({ principalTag: ['isoctl-tenant=acme'], key: ['acme'] });
    expect(r.cause.id).toBe('allowed-now');
    expect(r.evaluation?.decision).toBe('Allow');
  });

  it('suspended, revoked, deleted: each named from the deny lists on the scope role', () => {
    const suspended = explain({ principalTag: ['isoctl-tenant=acme'], key: ['acme'] }, scopeRole([{ kind: 'suspended', tenant: 'acme' }]));
    expect(suspended.cause).toMatchObject({ id: 'tenant-suspended', certainty: 'certain', fix: { command: 'isoctl tenant resume acme' } });
    const revoked = explain(
      { principalTag: ['isoctl-tenant=acme'], key: ['acme'] },
      scopeRole([{ kind: 'revoked', tenant: 'acme', issuedBefore: '2025-01-01T11:00:00Z' }]),
    );
    expect(revoked.cause).toMatchObject({ id: 'tenant-revoked', certainty: 'likely' });
    expect(revoked.cause.summary).toMatch(/issued before 2025-01-01T11:00:00Z/);
    const deleted = explain({ principalTag: ['isoctl-tenant=acme'], key: ['acme'] }, scopeRole([{ kind: 'deleted', tenant: 'acme' }]));
    expect(deleted.cause.id).toBe('tenant-deleted');
    // An entry that overflowed into a managed deny-list policy attached to the scope role counts too.
    const overflow = analyzeDenial({
      ...input({ principalTag: ['isoctl-tenant=acme'], key: ['acme'] }),
      managedDenyLists: { 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-deny-list-1': denyDocument([{ kind: 'suspended', tenant: 'acme' }]) },
    });
    expect(overflow.cause.id).toBe('tenant-suspended');
    // Another tenant's deny list does not explain acme's denial.
    expect(explain({ principalTag: ['isoctl-tenant=acme'], key: ['acme'] }, scopeRole([{ kind: 'suspended', tenant: 'globex' }])).cause.id).toBe('allowed-now');
  });

  it('the tag missing: map without the tenant tag, a session without it, nothing known', () => {
    expect(explain({ key: ['acme'] }, scopeRole(), { username: 'sub' }).cause).toMatchObject({ id: 'principal-tag-map-missing', seedCause: 1 });
    expect(explain({ noPrincipalTags: true, key: ['acme'] }).cause).toMatchObject({ id: 'principal-tag-missing', certainty: 'certain' });
    const unknown = explain({});
    expect(unknown.tenant).toBeNull();
    expect(unknown.cause).toMatchObject({ id: 'principal-tag-missing', certainty: 'possible' });
    expect(explain({ key: ['acme'] }, scopeRole(), undefined, false).cause.summary).toMatch(/app client cannot read custom:tenant/);
  });
});
