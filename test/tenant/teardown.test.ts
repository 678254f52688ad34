// The teardown's ownership verdicts on look-alikes (in-memory AWS): the stack-wide pieces have
// fixed names, so a boundary or lock table of another stack, a mapping entry in another shape, a
// principal-tag map someone changed are skipped with the reason, and nothing is written. A piece
// that changes hands between the plan and the removal is decided again on the fresh read.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { lockTableName, type StackConfig } from '../../src/config/schema.js';
import { cognitoProviderName } from '../../src/aws/apis.js';
import { boundaryPolicyArn, tenantRoleArn } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { applyTeardown, planTeardown, stackTenants } from '../../src/tenant/teardown.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { FakeAws } from './fake-aws.js';

function config(mapping: 'token' | 'rules', granularity: 'tenant' | 'user' = 'tenant'): StackConfig {
  return validateConfig(
    {
      stack: 'test',
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping,
      granularity,
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    },
    'test',
  );
}

function ctxOf(fake: FakeAws) {
  const base = { apis: fake.apis(), config: fake.config, now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const ctx: TenantContext = base;
  return { ctx, removal: { ...base, deadline: Date.now() + 2000, confirm: true, purpose: 'test' } };
}

/** The stack's pieces as init leaves them, with `tags` for the boundary and the lock table. */
function initialised(cfg: StackConfig, tags: Record<string, string>): FakeAws {
  const fake = new FakeAws(cfg);
  const arn = boundaryPolicyArn(cfg);
  fake.policies.set(arn, {
    arn,
    name: arn.slice(arn.lastIndexOf('/') + 1),
    path: '/isoctl/test/',
    tags,
    versions: [{ id: 'v1', doc: '{"Version":"2012-10-17","Statement":[]}', isDefault: true, created: 0 }],
    next: 2,
  });
  const lock = lockTableName(cfg);
  const tableArn = `arn:aws:dynamodb:eu-central-1:123456789012:table/${lock}`;
  fake.tables.set(lock, { name: lock, arn: tableArn, status: 'ACTIVE', partitionKey: { name: 'lockId', type: 'S' }, sortKey: undefined });
  fake.tableTags.set(tableArn, tags);
  fake.poolRoles = {
    Roles: { authenticated: 'arn:aws:iam::123456789012:role/app-default' },
    RoleMappings: { [mappingKeyOf(cfg)]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
  };
  return fake;
}

const OURS = { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'test' };

describe('teardown ownership', () => {
  it("another stack's boundary and lock table, an entry resolving to AuthenticatedRole: all skipped, zero writes", async () => {
    const cfg = config('token');
    const fake = initialised(cfg, { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'other' });
    fake.poolRoles.RoleMappings[mappingKeyOf(cfg)] = { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' };
    const { ctx, removal } = ctxOf(fake);
    const items = await planTeardown(ctx);
    expect(items.map((i) => `${i.kind}:${i.state}`)).toEqual(['pool-mapping:skipped', 'lock-table:skipped', 'boundary:skipped']);
    expect(items.every((i) => i.reason.startsWith("not isoctl's"))).toBe(true);
    await applyTeardown(removal, items);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it("ours: removed in order; the pool's Roles and other entries stay", async () => {
    const cfg = config('token');
    const fake = initialised(cfg, OURS);
    const other = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client2';
    fake.poolRoles.RoleMappings[other] = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
    const { ctx, removal } = ctxOf(fake);
    const items = await planTeardown(ctx);
    await applyTeardown(removal, items);
    expect(items.map((i) => `${i.kind}:${i.state}`)).toEqual(['pool-mapping:removed', 'lock-table:removed', 'boundary:removed']);
    expect(fake.poolRoles).toEqual({
      Roles: { authenticated: 'arn:aws:iam::123456789012:role/app-default' },
      RoleMappings: { [other]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
    });
    expect(fake.policies.size).toBe(0);
    expect(fake.tables.has(lockTableName(cfg))).toBe(false);
  });

  it('rules mode: an entry with a rule for a foreign role is not ours; an entry changed after the plan is decided on the fresh read', async () => {
    const cfg = config('rules');
    const fake = initialised(cfg, OURS);
    const key = mappingKeyOf(cfg);
    fake.poolRoles.RoleMappings[key] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'x', RoleArn: 'arn:aws:iam::123456789012:role/other' }] },
    };
    const { ctx, removal } = ctxOf(fake);
    const first = await planTeardown(ctx);
    expect(first[0]).toMatchObject({ kind: 'pool-mapping', state: 'skipped' });
    expect(first[0]!.reason).toContain('arn:aws:iam::123456789012:role/other');

    fake.poolRoles.RoleMappings[key] = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
    const planned = await planTeardown(ctx);
    expect(planned[0]).toMatchObject({ kind: 'pool-mapping', state: 'planned', adminOnly: false });
    // Between the plan and the removal, another writer puts its own entry there.
    fake.poolRoles.RoleMappings[key] = { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' };
    await applyTeardown(removal, planned);
    expect(planned.map((i) => `${i.kind}:${i.state}`)).toEqual(['pool-mapping:skipped', 'lock-table:skipped', 'boundary:removed']);
    expect(planned[1]!.detail).toMatch(/^kept: pool-mapping/);
    expect(fake.poolRoles.RoleMappings[key]).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' });
    expect(fake.mutatingCalls().map((c) => c.operation)).not.toContain('SetIdentityPoolRoles');
  });

  it("a principal-tag map someone changed is not ours; the config's map is removed", async () => {
    const cfg = config('token', 'user');
    const fake = initialised(cfg, OURS);
    const provider = cognitoProviderName(cfg.region, cfg.userPoolId);
    fake.tagMaps.set(provider, { useDefaults: false, principalTags: { userid: 'email' } });
    const { ctx, removal } = ctxOf(fake);
    const changed = await planTeardown(ctx);
    expect(changed.find((i) => i.kind === 'principal-tags')).toMatchObject({ state: 'skipped', adminOnly: true });
    fake.tagMaps.set(provider, { useDefaults: false, principalTags: { userid: 'sub' } });
    const items = await planTeardown(ctx);
    await applyTeardown(removal, items);
    expect(items.find((i) => i.kind === 'principal-tags')?.state).toBe('removed');
    expect(fake.tagMaps.get(provider)).toEqual({ useDefaults: false, principalTags: {} });
  });

  it('tenants are found by any trace: a registry row alone, a role alone, a rule alone', async () => {
    const cfg = config('rules');
    const fake = initialised(cfg, OURS);
    fake.registryRows.set('tenant#ghost', { tenant: 'ghost' } as never);
    fake.poolRoles.RoleMappings[mappingKeyOf(cfg)] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'ruled', RoleArn: tenantRoleArn(cfg, 'ruled') }] },
    };
    await fake.apis().iam.createRole({
      name: 'isoctl-test-roled',
      path: '/isoctl/test/',
      trustPolicy: '{}',
      permissionsBoundaryArn: boundaryPolicyArn(cfg),
      tags: { ...OURS, 'isoctl:tenant': 'roled' },
    });
    expect(await stackTenants(ctxOf(fake).ctx)).toEqual(['ghost', 'roled', 'ruled']);
  });
});
