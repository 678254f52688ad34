// Shared test fixtures for the policy engine, and the bridge to @cloud-copilot/iam-simulate
// (AGPL, devDependency: imported only from test/ and bench/).
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { stackConfigSchema, type StackConfig, type StackConfigInput } from '../../src/config/schema.js';
import type { Decision, EvalRequest, PolicyDocument } from '../../src/policy/types.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';

export function makeConfig(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: REGION,
    accountId: ACCOUNT,
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: [{ name: 'byDate', partitionKey: 'tenantId' }] }],
    buckets: [{ name: 'isoctl-files' }],
    ...overrides,
  });
}

/** A stack exercising every document feature: pooled + silo tables, attributes, indexes, buckets. */
export function richConfig(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return makeConfig({
    tables: [
      {
        name: 'Orders',
        partitionKey: 'tenantId',
        sortKey: 'sk',
        indexes: [
          { name: 'byDate', partitionKey: 'tenantId' },
          { name: 'byStatus', partitionKey: 'tenantId' },
        ],
      },
      { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
      { name: 'ledger', partitionKey: 'pk', model: 'silo' },
    ],
    buckets: [{ name: 'isoctl-files' }, { name: 'isoctl-exports', prefix: 'exports/{tenant}/' }],
    ...overrides,
  });
}

const SIM_DECISION: Record<string, Decision> = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'ExplicitDeny',
  ImplicitlyDenied: 'ImplicitDeny',
};

/** The decision iam-simulate reaches for the same request (strings for single-valued keys, arrays for multi-valued). */
export async function simulate(req: EvalRequest, principal = `arn:aws:iam::${ACCOUNT}:role/isoctl/prod/tester`): Promise<Decision | string> {
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.context)) {
    if (v === undefined) continue;
    contextVariables[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  const sim: Simulation = {
    identityPolicies: req.identityPolicies.map((policy: PolicyDocument, i: number) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(req.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: req.permissionsBoundary }] } : {}),
    request: {
      principal,
      action: req.action,
      resource: { accountId: ACCOUNT, resource: req.resource },
      contextVariables,
    },
  };
  const r = await runSimulation(sim, {});
  if (r.resultType === 'error') return `error: ${JSON.stringify(r.errors)}`;
  if (r.resultType !== 'single') return `unexpected result type ${r.resultType}`;
  // iam-simulate drops context keys that do not apply to the action; a case that relies on
  // one would compare different requests, so it is reported instead of compared.
  const ignored = r.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) return `ignored context keys: ${ignored.join(', ')}`;
  return SIM_DECISION[r.overallResult] ?? `unknown: ${r.overallResult}`;
}

/** iam-simulate's decision for a trust policy (as a resource policy) and a web-identity principal. */
export async function simulateTrust(
  trust: PolicyDocument,
  action: string,
  federated: string,
  context: Record<string, string | string[]>,
): Promise<Decision | string> {
  const r = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trust,
      request: {
        principal: federated,
        action,
        resource: { accountId: ACCOUNT, resource: `arn:aws:iam::${ACCOUNT}:role/isoctl/prod/isoctl-prod-acme` },
        contextVariables: context,
      },
    },
    {},
  );
  if (r.resultType === 'error') return `error: ${JSON.stringify(r.errors)}`;
  if (r.resultType !== 'single') return `unexpected result type ${r.resultType}`;
  const ignored = r.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) return `ignored context keys: ${ignored.join(', ')}`;
  return SIM_DECISION[r.overallResult] ?? `unknown: ${r.overallResult}`;
}
