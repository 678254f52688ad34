// Policy engine benchmark (node bench/run.mjs policy): evaluator throughput against
// @cloud-copilot/iam-simulate in the same run, and the full isolation proof for 1,000 tenants.
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { stackConfigSchema, type StackConfig } from '../src/config/schema.js';
import { buildBoundaryPolicy, buildDataPolicy, evaluate, proveIsolation, tableArn, tenantRoleArn } from '../src/policy/index.js';
import type { EvalRequest } from '../src/policy/types.js';
import { generateCases, prng } from '../test/policy/generate.js';

const ACCOUNT = '123456789012';

function config(granularity: 'tenant' | 'user', rich: boolean): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: 'eu-central-1',
    accountId: ACCOUNT,
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    granularity,
    tables: rich
      ? [
          { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: ['byDate', 'byStatus'] },
          { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
          { name: 'ledger', partitionKey: 'pk', model: 'silo' },
        ]
      : [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: ['byDate'] }],
    buckets: rich ? [{ name: 'isoctl-files' }, { name: 'isoctl-exports', prefix: 'exports/{tenant}/' }] : [{ name: 'isoctl-files' }],
  });
}

/** Requests shaped like the sandbox's: a tenant's credentials on pooled and silo tables, own and other partitions. */
function sandboxWorkload(cfg: StackConfig, count: number): EvalRequest[] {
  const r = prng(7);
  const tenants = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
  const boundary = buildBoundaryPolicy(cfg);
  const data = new Map(tenants.map((t) => [t, buildDataPolicy(cfg, t)]));
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)] as T;
  const out: EvalRequest[] = [];
  for (let i = 0; i < count; i++) {
    const tenant = pick(tenants);
    const other = pick(tenants);
    const [action, table, keys, extra] = pick<[string, string, string[] | undefined, Record<string, string | string[]>]>([
      ['dynamodb:Query', 'Orders', [tenant], { 'dynamodb:Select': 'ALL_ATTRIBUTES' }],
      ['dynamodb:GetItem', 'Orders', [other], {}],
      ['dynamodb:BatchGetItem', 'Orders', [tenant, other], {}],
      ['dynamodb:PutItem', 'Orders', [tenant], { 'dynamodb:ReturnValues': 'NONE' }],
      ['dynamodb:GetItem', 'Agents', [tenant], { 'dynamodb:Attributes': ['userId', 'fieldName'], 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' }],
      ['dynamodb:GetItem', 'Agents', [tenant], { 'dynamodb:Attributes': ['userId', 'realName'], 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' }],
      ['dynamodb:Query', `ledger-${tenant}`, [tenant], {}],
      ['dynamodb:Query', `ledger-${other}`, [tenant], {}],
      ['dynamodb:Scan', 'Orders', undefined, {}],
    ]);
    out.push({
      action,
      resource: tableArn(cfg, table),
      context: {
        'aws:PrincipalTag/isoctl:tenant': tenant,
        'aws:PrincipalTag/isoctl:stack': cfg.stack,
        'aws:PrincipalTag/isoctl:managed-by': 'isoctl',
        'aws:PrincipalArn': tenantRoleArn(cfg, tenant),
        ...(keys ? { 'dynamodb:LeadingKeys': keys } : {}),
        ...extra,
      },
      identityPolicies: [data.get(tenant) as EvalRequest['identityPolicies'][number]],
      permissionsBoundary: boundary,
    });
  }
  return out;
}

function simulation(req: EvalRequest): Simulation {
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.context)) if (v !== undefined) contextVariables[k] = Array.isArray(v) ? v.map(String) : String(v);
  return {
    identityPolicies: req.identityPolicies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(req.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: req.permissionsBoundary }] } : {}),
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/isoctl/prod/x`,
      action: req.action,
      resource: { accountId: ACCOUNT, resource: req.resource },
      contextVariables,
    },
  };
}

const DECISION: Record<string, string> = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' };

/** Evaluations per second of isoctl's evaluator, iam-simulate's runSimulation (validated) and runUnsafeSimulation. */
async function throughput(requests: EvalRequest[]) {
  let disagreements = 0;
  // Agreement on the sample (and warm-up of both).
  const sims = requests.map(simulation);
  for (let i = 0; i < requests.length; i++) {
    const r = await runSimulation(sims[i] as Simulation, {});
    const theirs = r.resultType === 'single' ? DECISION[r.overallResult] : r.resultType;
    if (theirs !== evaluate(requests[i] as EvalRequest).decision) disagreements++;
  }
  let n = 0;
  let started = performance.now();
  while (performance.now() - started < 1500) for (const req of requests) (evaluate(req), n++);
  const ours = n / ((performance.now() - started) / 1000);
  n = 0;
  started = performance.now();
  while (performance.now() - started < 1500) for (const s of sims) (await runSimulation(s, {}), n++);
  const simulate = n / ((performance.now() - started) / 1000);
  n = 0;
  started = performance.now();
  while (performance.now() - started < 1500) for (const s of sims) (runUnsafeSimulation(s, {}), n++);
  const unsafe = n / ((performance.now() - started) / 1000);
  return { ours, simulate, unsafe, disagreements, sample: requests.length };
}

function proofMs(cfg: StackConfig, tenants: number): { ms: number; probes: number; ok: boolean } {
  const ids = Array.from({ length: tenants }, (_, i) => `tenant-${i}`);
  const started = performance.now();
  const p = proveIsolation(cfg, ids);
  return { ms: Math.round(performance.now() - started), probes: p.probes, ok: p.ok };
}

export default async function run() {
  const rich = config('tenant', true);
  const sandbox = await throughput(sandboxWorkload(rich, 500));
  const generated = await throughput(generateCases(20261124, 500).map((c) => c.req));

  // A fresh proof each time (documents are built per tenant, so nothing is cached across runs).
  const proofRich = proofMs(rich, 1000);
  const proofDefault = proofMs(config('tenant', false), 1000);
  const proofUser = proofMs(config('user', true), 1000);

  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const ratio = round(sandbox.ours / sandbox.simulate);
  const metrics = {
    evaluator_evals_per_s: Math.round(sandbox.ours),
    iam_simulate_evals_per_s: Math.round(sandbox.simulate),
    iam_simulate_unsafe_evals_per_s: Math.round(sandbox.unsafe),
    evaluator_vs_iam_simulate_ratio: ratio,
    evaluator_vs_iam_simulate_unsafe_ratio: round(sandbox.ours / sandbox.unsafe),
    sandbox_workload_disagreements: sandbox.disagreements,
    generated_evaluator_evals_per_s: Math.round(generated.ours),
    generated_iam_simulate_evals_per_s: Math.round(generated.simulate),
    generated_vs_iam_simulate_ratio: round(generated.ours / generated.simulate),
    generated_disagreements: generated.disagreements,
    proof_1000_tenants_rich_ms: proofRich.ms,
    proof_1000_tenants_rich_probes: proofRich.probes,
    proof_1000_tenants_default_ms: proofDefault.ms,
    proof_1000_tenants_default_probes: proofDefault.probes,
    proof_1000_tenants_user_granularity_ms: proofUser.ms,
    proof_1000_tenants_user_granularity_probes: proofUser.probes,
    proofs_ok: proofRich.ok && proofDefault.ok && proofUser.ok,
  };
  return {
    name: 'policy',
    metrics,
    targets: [
      { metric: 'evaluator_vs_iam_simulate_ratio', target: '>= 50', value: ratio, ok: ratio >= 50 },
      { metric: 'proof_1000_tenants_rich_ms', target: '< 2000', value: proofRich.ms, ok: proofRich.ms < 2000 && proofRich.ok },
      {
        metric: 'sandbox_workload_disagreements',
        target: '= 0',
        value: sandbox.disagreements + generated.disagreements,
        ok: sandbox.disagreements + generated.disagreements === 0,
      },
    ],
  };
}
