// IAM and Cognito quotas: the exact numbers, and messages naming the limit, the value and what to do.
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import { LIMITS, assertTenantWithinLimits, buildDataPolicy, checkStackLimits, checkTenantLimits, policySize, serializePolicy } from '../../src/policy/index.js';
import { makeConfig, richConfig } from './helpers.js';

describe('limits', () => {
  it('has the exact IAM and Cognito numbers', () => {
    expect(LIMITS).toMatchObject({
      roleNameChars: 64,
      pathChars: 512,
      inlinePolicyCharsPerRole: 10_240,
      managedPolicyChars: 6_144,
      trustPolicyChars: 2_048,
      trustPolicyCharsRaised: 4_096,
      tagsPerRole: 50,
      tagKeyChars: 128,
      tagValueChars: 256,
      identityPoolRulesPerProvider: 25,
      roleMappingProviders: 10,
    });
  });

  it('a normal tenant is within every limit', () => {
    expect(checkTenantLimits(richConfig(), 'acme')).toEqual([]);
    expect(checkTenantLimits(richConfig({ granularity: 'user', mapping: 'rules' }), 'acme')).toEqual([]);
    expect(() => assertTenantWithinLimits(richConfig(), 'acme')).not.toThrow();
  });

  it('whitespace is not counted', () => {
    const d = buildDataPolicy(makeConfig(), 'acme');
    expect(policySize(JSON.stringify(d, null, 4))).toBe(serializePolicy(d).length);
  });

  it('role name over 64 characters (assertTenantId refuses such ids first; the limit check stands on its own)', () => {
    const tenant = 'x'.repeat(60);
    const f = checkTenantLimits(makeConfig(), tenant);
    expect(f).toEqual([expect.objectContaining({ limit: 'role-name-length', value: 'isoctl-prod-'.length + 60, max: 64 })]);
    expect(f[0]?.message).toBe(`role name "isoctl-prod-${tenant}" is 72 characters; IAM allows 64: use a shorter tenant id or stack name`);
  });

  it('inline policy over 10,240 and boundary over 6,144 characters: refused with every finding', () => {
    const attributes = Array.from({ length: 300 }, (_, i) => `attribute_${i}`);
    const cfg = makeConfig({ tables: [{ name: 'Orders', partitionKey: 'attribute_0', attributes }], buckets: [] });
    const f = checkTenantLimits(cfg, 'acme');
    expect(f.map((x) => x.limit)).toEqual(['inline-policy-size', 'boundary-policy-size']);
    const inline = f[0];
    expect(inline?.value).toBe(policySize(buildDataPolicy(cfg, 'acme')));
    expect(inline?.value).toBeGreaterThan(10_240);
    expect(inline?.message).toMatch(
      /^inline policies of role isoctl-prod-acme are [\d,]+ characters \(whitespace not counted\); IAM allows 10,240 per role: reduce/,
    );
    let err: unknown;
    try {
      assertTenantWithinLimits(cfg, 'acme');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).reason).toBe('over-limit');
    expect((err as PolicyError).code).toBe('limit_exceeded');
    expect((err as PolicyError).message).toMatch(
      /^tenant "acme" exceeds 2 limits; nothing was changed:\n {2}- inline-policy-size: .*\n {2}- boundary-policy-size: /,
    );
    expect((err as PolicyError).details).toEqual({ tenant: 'acme', findings: f });
  });

  it('a read-only scope can fit where all scopes do not', () => {
    const attributes = Array.from({ length: 400 }, (_, i) => `attribute_${i}`);
    const cfg = makeConfig({ tables: [{ name: 'Orders', partitionKey: 'attribute_0', attributes }], buckets: [] });
    expect(checkTenantLimits(cfg, 'acme').map((x) => x.limit)).toContain('inline-policy-size');
    expect(checkTenantLimits(cfg, 'acme', ['read']).map((x) => x.limit)).not.toContain('inline-policy-size');
  });

  it('trust policy over the account quota (2,048 by default; accounts can raise it to 4,096)', () => {
    const identityPoolId = `eu-central-1:${'a'.repeat(900)}`;
    const cfg = makeConfig({ granularity: 'user', identityPoolId });
    const f = checkTenantLimits(cfg, 'acme');
    expect(f.map((x) => [x.limit, x.max])).toEqual([['trust-policy-size', 2048]]);
    expect(f[0]?.message).toMatch(
      /^trust policy of role isoctl-prod-acme is [\d,]+ characters; the account allows 2,048: ask AWS to raise "Role trust policy length" to 4,096 and set "trustPolicyMaxChars": 4096$/,
    );
    expect(checkTenantLimits(makeConfig({ granularity: 'user', identityPoolId, trustPolicyMaxChars: 4096 }), 'acme')).toEqual([]);
  });

  it('Cognito: 25 rules per provider, 10 providers, a 64-character rule claim', () => {
    const cfg = makeConfig({ mapping: 'rules' });
    expect(checkStackLimits(cfg, { rules: 25, providers: 10 })).toEqual([]);
    const f = checkStackLimits(cfg, { rules: 26, providers: 11 });
    expect(f.map((x) => [x.limit, x.value, x.max])).toEqual([
      ['identity-pool-rules', 26, 25],
      ['role-mapping-providers', 11, 10],
    ]);
    expect(f[0]?.message).toContain('switch the stack to "mapping": "token"');
    const claim = makeConfig({ mapping: 'rules', tenantClaim: `custom:${'t'.repeat(60)}` });
    expect(checkTenantLimits(claim, 'acme').map((x) => x.limit)).toEqual(['rule-claim-length']);
  });

  it('the operator policy fits a managed policy', () => {
    expect(checkStackLimits(richConfig())).toEqual([]);
  });
});
