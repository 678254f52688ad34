// The isolation proof in ABAC mode: the scope roles' policies name no tenant, so every pair of
// tenants is proved through the principal tag isoctl-tenant; the trust's TagSession conditions too.
import { describe, expect, it } from 'vitest';
import { buildScopeDataPolicy, proveIsolation, type PolicyDocument } from '../../src/policy/index.js';
import { makeConfig } from './helpers.js';

const TENANTS = ['acme', 'acme-corp', 'globex', 'initech'];

describe('proveIsolation, mapping abac', () => {
  it('holds for every pair of tenants, for user granularity too', () => {
    for (const granularity of ['tenant', 'user'] as const) {
      const proof = proveIsolation(makeConfig({ mapping: 'abac', granularity }), TENANTS, { allPairs: true });
      expect(proof.failures).toEqual([]);
      expect(proof.ok).toBe(true);
    }
  });

  it('fails when a scope policy names the partitions with a wildcard instead of the principal tag', () => {
    const cfg = makeConfig({ mapping: 'abac' });
    const widened = (scope: string) =>
      JSON.parse(JSON.stringify(buildScopeDataPolicy(cfg, scope)).split('${aws:PrincipalTag/isoctl-tenant}').join('*')) as PolicyDocument;
    const proof = proveIsolation(cfg, TENANTS, { allPairs: true, dataPolicy: (_t, scope) => widened(scope), boundary: widened('write') });
    expect(proof.ok).toBe(false);
  });

  it('fails when the trust lets a session through without a tenant tag', () => {
    const cfg = makeConfig({ mapping: 'abac', granularity: 'user' });
    const loose: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': cfg.identityPoolId },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
        },
      ],
    };
    const proof = proveIsolation(cfg, TENANTS, { trust: loose });
    expect(proof.failures.map((f) => f.probe)).toEqual(expect.arrayContaining(['trust: abac: a session without a tenant tag']));
  });
});
