// isoctl's evaluator against @cloud-copilot/iam-simulate on generated cases (seeded, so a
// failure reproduces): every case must agree; a disagreement prints the whole case.
import { describe, expect, it } from 'vitest';
import { buildBoundaryPolicy, buildDataPolicy, buildTrustPolicy, evaluate, evaluateTrust, tenantRoleArn } from '../../src/policy/index.js';
import type { ConditionBlock, EvalRequest, PolicyDocument, PolicyStatement } from '../../src/policy/types.js';
import { generateCases, prng } from './generate.js';
import { makeConfig, richConfig, simulate, simulateTrust } from './helpers.js';

const SEED = Number(process.env.POLICY_DIFF_SEED ?? 20261124);
const CASES = Number(process.env.POLICY_DIFF_CASES ?? 2500);

describe('differential: evaluate() vs iam-simulate', () => {
  it(`agrees on ${CASES} generated cases (seed ${SEED})`, async () => {
    const cases = generateCases(SEED, CASES);
    const disagreements: string[] = [];
    const tally: Record<string, number> = {};
    for (const c of cases) {
      const ours = evaluate(c.req).decision;
      const theirs = await simulate(c.req);
      tally[ours] = (tally[ours] ?? 0) + 1;
      if (ours !== theirs) disagreements.push(`case ${c.id} (seed ${SEED}): isoctl=${ours} iam-simulate=${theirs}\n${JSON.stringify(c.req, null, 2)}`);
    }
    expect(disagreements.slice(0, 5).join('\n\n'), `${disagreements.length} of ${cases.length} cases disagree`).toBe('');
    // The generator must exercise every outcome, or agreement means little.
    expect(tally.Allow ?? 0).toBeGreaterThan(CASES * 0.1);
    expect(tally.ImplicitDeny ?? 0).toBeGreaterThan(CASES * 0.1);
    expect(tally.ExplicitDeny ?? 0).toBeGreaterThan(CASES * 0.05);
    expect(tally.CannotEvaluate ?? 0).toBe(0);
  }, 120_000);

  it("agrees on isoctl's own documents across tenants and probes", async () => {
    for (const granularity of ['tenant', 'user'] as const) {
      const cfg = richConfig({ granularity });
      const boundary = buildBoundaryPolicy(cfg);
      for (const tenant of ['acme', 'acme-corp']) {
        const data = buildDataPolicy(cfg, tenant);
        for (const [action, table, keys, attrs] of [
          ['dynamodb:Query', 'Orders', ['acme'], undefined],
          ['dynamodb:Query', 'Orders/index/byDate', ['acme-corp'], undefined],
          ['dynamodb:PutItem', 'Orders', ['acme', 'acme-corp'], undefined],
          ['dynamodb:GetItem', 'Agents', ['acme'], ['userId', 'fieldName']],
          ['dynamodb:GetItem', 'Agents', ['acme'], ['userId', 'realName']],
          ['dynamodb:Scan', 'ledger-acme', undefined, undefined],
          ['dynamodb:GetItem', 'ledger-acme-corp', ['u-1'], undefined],
          ['dynamodb:GetItem', 'ledger-acme', ['u-1'], undefined],
        ] as Array<[string, string, string[] | undefined, string[] | undefined]>) {
          const req: EvalRequest = {
            action,
            resource: `arn:aws:dynamodb:eu-central-1:123456789012:table/${table}`,
            context: {
              'aws:PrincipalTag/isoctl:tenant': tenant,
              'aws:PrincipalTag/userid': 'u-1',
              'aws:PrincipalArn': tenantRoleArn(cfg, tenant),
              ...(keys ? { 'dynamodb:LeadingKeys': keys } : {}),
              ...(attrs ? { 'dynamodb:Attributes': attrs, 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } : {}),
            },
            identityPolicies: [data],
            permissionsBoundary: boundary,
          };
          const ours = evaluate(req).decision;
          expect(await simulate(req), `${granularity}/${tenant} ${action} ${table}: isoctl says ${ours}`).toBe(ours);
        }
      }
    }
  });

  it("agrees on generated trust policies (AssumeRoleWithWebIdentity) and on isoctl's trust policies", async () => {
    const r = prng(SEED + 1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const AUD = 'cognito-identity.amazonaws.com:aud';
    const AMR = 'cognito-identity.amazonaws.com:amr';
    const SUB = 'cognito-identity.amazonaws.com:sub';
    const conditions: Array<() => [string, string, unknown]> = [
      () => [
        pick(['StringEquals', 'StringNotEquals', 'StringLike', 'StringEqualsIfExists']),
        AUD,
        pick(['eu-central-1:pool-1', 'eu-central-1:pool-*', ['eu-central-1:pool-1', 'eu-central-1:pool-2']]),
      ],
      // iam-data types amr as a single String, so iam-simulate does not see the whole list:
      // ForAllValues over amr is left out (ForAnyValue, as AWS documents it, is compared).
      () => [
        pick(['ForAnyValue:StringLike', 'ForAnyValue:StringEquals']),
        AMR,
        pick(['authenticated', 'unauthenticated', 'auth*', ['authenticated', 'cognito-idp*']]),
      ],
      () => [pick(['StringEquals', 'StringNotEquals', 'StringLike']), SUB, pick(['eu-central-1:id-1', 'eu-central-1:*'])],
      () => ['Null', pick([SUB, AUD]), pick(['true', 'false'])],
    ];
    const disagreements: string[] = [];
    let allowed = 0;
    const cases = 400;
    for (let i = 0; i < cases; i++) {
      const statements: PolicyStatement[] = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
        const c: ConditionBlock = {};
        for (let k = Math.floor(r() * 4); k > 0; k--) {
          const [op, key, value] = pick(conditions)();
          (c[op] ??= {})[key] = value as string;
        }
        return {
          Effect: r() < 0.85 ? 'Allow' : 'Deny',
          Principal: pick([
            { Federated: 'cognito-identity.amazonaws.com' },
            { Federated: 'accounts.google.com' },
            { Federated: ['accounts.google.com', 'cognito-identity.amazonaws.com'] },
          ]),
          Action: pick(['sts:AssumeRoleWithWebIdentity', 'sts:AssumeRole*', ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'], 'sts:TagSession']),
          ...(Object.keys(c).length > 0 ? { Condition: c } : {}),
        };
      });
      const trust: PolicyDocument = { Version: '2012-10-17', Statement: statements };
      const context: Record<string, string | string[]> = {
        [AUD]: pick(['eu-central-1:pool-1', 'eu-central-1:pool-2']),
        [AMR]: pick([['authenticated', 'cognito-idp.eu-central-1.amazonaws.com/p'], ['unauthenticated']]),
      };
      if (r() < 0.7) context[SUB] = pick(['eu-central-1:id-1', 'eu-central-1:id-2']);
      // iam-simulate does not model accounts.google.com as a request principal; it stays a non-matching policy principal.
      const federated = 'cognito-identity.amazonaws.com';
      const ours = evaluateTrust(trust, { action: 'sts:AssumeRoleWithWebIdentity', principal: { Federated: federated }, context }).decision;
      if (ours === 'Allow') allowed++;
      const theirs = await simulateTrust(trust, 'sts:AssumeRoleWithWebIdentity', federated, context);
      if (ours !== theirs)
        disagreements.push(`trust case ${i}: isoctl=${ours} iam-simulate=${theirs}\n${JSON.stringify({ trust, federated, context }, null, 2)}`);
    }
    expect(disagreements.slice(0, 3).join('\n\n'), `${disagreements.length} of ${cases} trust cases disagree`).toBe('');
    expect(allowed).toBeGreaterThan(cases * 0.1);
    expect(allowed).toBeLessThan(cases * 0.9);

    for (const granularity of ['tenant', 'user'] as const) {
      const cfg = makeConfig({ granularity });
      const trust = buildTrustPolicy(cfg);
      for (const [amr, aud] of [
        [['authenticated'], cfg.identityPoolId],
        [['unauthenticated'], cfg.identityPoolId],
        [['authenticated'], 'eu-central-1:other'],
      ] as const) {
        const context = { [AUD]: aud, [AMR]: [...amr] };
        const ours = evaluateTrust(trust, {
          action: 'sts:AssumeRoleWithWebIdentity',
          principal: { Federated: 'cognito-identity.amazonaws.com' },
          context,
        }).decision;
        expect(await simulateTrust(trust, 'sts:AssumeRoleWithWebIdentity', 'cognito-identity.amazonaws.com', context)).toBe(ours);
      }
    }
  }, 60_000);
});
