// isoctl's evaluator against @cloud-copilot/iam-simulate on generated cases (seeded, so a
// failure reproduces): every case must agree; a disagreement prints the whole case.
import { describe, expect, it } from 'vitest';
import { buildBoundaryPolicy, buildDataPolicy, evaluate, tenantRoleArn } from '../../src/policy/index.js';
import type { EvalRequest } from '../../src/policy/types.js';
import { generateCases } from './generate.js';
import { richConfig, simulate } from './helpers.js';

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
      if (ours !== theirs)
        disagreements.push(`case ${c.id} (seed ${SEED}): isoctl=${ours} iam-simulate=${theirs}\n${JSON.stringify(c.req, null, 2)}`);
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
});
