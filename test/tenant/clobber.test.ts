// detectClobber (#17): which tenants lost their identity-pool entry or rule to another writer of
// SetIdentityPoolRoles, and when a missing rule is a half-finished create instead.
import { describe, expect, it } from 'vitest';
import type { IdentityPoolRoles, RoleInfo } from '../../src/aws/apis.js';
import { validateConfig } from '../../src/config/load.js';
import type { StackConfig } from '../../src/config/schema.js';
import { tenantRoleArn } from '../../src/policy/index.js';
import { detectClobber } from '../../src/tenant/clobber.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');

function config(mapping: 'token' | 'rules'): StackConfig {
  return validateConfig(
    {
      stack: 'cl',
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping,
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    },
    'test',
  );
}

function role(c: StackConfig, t: string, ageMs = 3_600_000): RoleInfo {
  return { name: `isoctl-cl-${t}`, arn: tenantRoleArn(c, t), path: '/isoctl/cl/', createDate: new Date(NOW - ageMs).toISOString() } as RoleInfo;
}

function rulesPool(c: StackConfig, tenants: string[]): IdentityPoolRoles {
  return {
    Roles: {},
    RoleMappings: {
      [mappingKeyOf(c)]: {
        Type: 'Rules',
        AmbiguousRoleResolution: 'Deny',
        RulesConfiguration: { Rules: tenants.map((t) => ({ Claim: 'custom:tenant', MatchType: 'Equals', Value: t, RoleArn: tenantRoleArn(c, t) })) },
      },
    },
  } as IdentityPoolRoles;
}

describe('detectClobber', () => {
  it('token mode: the Token entry replaced or removed kills every tenant; in place, nothing', () => {
    const c = config('token');
    const roles = [role(c, 'acme'), role(c, 'globex')];
    expect(
      detectClobber(c, { Roles: {}, RoleMappings: { [mappingKeyOf(c)]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } } } as IdentityPoolRoles, roles, NOW),
    ).toBeUndefined();
    const gone = detectClobber(c, { Roles: { authenticated: 'arn:aws:iam::123456789012:role/x' }, RoleMappings: {} } as IdentityPoolRoles, roles, NOW)!;
    expect(gone.tenants).toEqual(['acme', 'globex']);
    expect(gone.command).toBe('isoctl init');
    expect(gone.cause).toContain('aws_cognito_identity_pool_roles_attachment');
    expect(detectClobber(c, { Roles: {}, RoleMappings: {} } as IdentityPoolRoles, [], NOW)).toBeUndefined();
  });

  it('rules mode: the entry turned back to Token (what a re-applied attachment writes) flags every tenant, however young', () => {
    const c = config('rules');
    const pool = { Roles: {}, RoleMappings: { [mappingKeyOf(c)]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } } } as IdentityPoolRoles;
    const r = detectClobber(c, pool, [role(c, 'acme', 5_000), role(c, 'globex')], NOW)!;
    expect(r.tenants).toEqual(['acme', 'globex']);
    expect(r.command).toBe('isoctl tenant create acme globex');
  });

  it('rules mode: one rule missing among isoctl rules is flagged only once its role is older than the propagation window', () => {
    const c = config('rules');
    expect(detectClobber(c, rulesPool(c, ['acme', 'globex']), [role(c, 'acme'), role(c, 'globex')], NOW)).toBeUndefined();
    expect(detectClobber(c, rulesPool(c, ['acme']), [role(c, 'acme'), role(c, 'globex', 10_000)], NOW)).toBeUndefined();
    const old = detectClobber(c, rulesPool(c, ['acme']), [role(c, 'acme'), role(c, 'globex')], NOW)!;
    expect(old.tenants).toEqual(['globex']);
    expect(old.cause).toContain('a tenant create that stopped');
  });
});
