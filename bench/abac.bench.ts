// ABAC mode (issue 12) at scale, beside role mode (token mapping) in the same run so the ratios
// compare (the machine is shared; absolute times move with its load, recorded as loadAvg):
//   create  IAM calls of `tenant create --wait none` (3 tenants), from the sandbox's request log.
//           Target: 0 mutating IAM calls in ABAC mode (role mode: CreateRole + PutRolePolicy each).
//   list    wall time of `tenant list --json` (the CLI as a subprocess, median of 3) with 10,000
//           ABAC tenants, and with role mode at its own ceiling (5,000: IAM's largest roles quota).
//           Target: under 2 s for ABAC. The tenants are SEEDED with the admin keys, not made by
//           `tenant create` (10,000 creates would take hours here): exactly the parts `tenant list`
//           reads (ABAC: registry row + probe user carrying the tenant claim; role mode: role,
//           inline policy, group, probe user in it + registry row). See `seeded` in the JSON.
//   proof   the offline isolation proof (proveIsolation, each tenant against its neighbour, as
//           `bench/policy` does for 1,000) of 10,000 ABAC tenants and of 5,000 role-mode tenants
//           with the same tables and buckets. Target: under 2 s for ABAC.
import { loadavg } from 'node:os';
import { stackConfigSchema, type StackConfig } from '../src/config/schema.js';
import { proveIsolation } from '../src/policy/index.js';
import { desiredTenant, resolveScopes } from '../src/tenant/desired.js';
import {
  benchSandbox,
  cloneProbeUsers,
  countByOperation,
  ids,
  isoctl,
  median,
  must,
  round,
  seedRegistry,
  seedTenants,
  type BenchSandbox,
} from './scripts/lib.js';

const load = () => loadavg().map((x) => round(x));

async function createCalls(mapping: 'token' | 'abac', tenants: string[]) {
  const s = await benchSandbox({ stack: `b${mapping}`, mapping });
  try {
    await must(isoctl(s.stateDir, ['init', '--json']), `init (${mapping})`);
    const mark = s.mark();
    const started = Date.now();
    for (const t of tenants) await must(isoctl(s.stateDir, ['tenant', 'create', t, '--wait', 'none', '--json']), `create ${t} (${mapping})`);
    const ms = Date.now() - started;
    const lines = s.since(mark);
    const iam = lines.filter((l) => l.service === 'iam');
    return {
      tenants: tenants.length,
      calls: lines.length,
      iamCalls: iam.length,
      iamMutating: iam.filter((l) => l.mutating).length,
      mutating: lines.filter((l) => l.mutating).length,
      msPerTenant: Math.round(ms / tenants.length),
      byOperation: countByOperation(lines),
    };
  } finally {
    await s.close();
    s.remove();
  }
}

/** ABAC tenants as `tenant list` sees them: the probe user carrying the tenant claim (copies after the first: see cloneProbeUsers). */
async function seedAbacProbes(s: BenchSandbox, tenants: string[]): Promise<void> {
  const scopes = resolveScopes(s.config, undefined);
  await cloneProbeUsers(
    s,
    tenants.map((t) => {
      const d = desiredTenant(s.config, t, scopes);
      return { username: d.probe.username, attributes: d.probe.attributes, groups: d.probe.group ? [d.probe.group] : [] };
    }),
  );
}

async function listTiming(mapping: 'token' | 'abac', n: number) {
  const s = await benchSandbox({ stack: `l${mapping}`, mapping, rolesQuota: 5000 });
  try {
    await must(isoctl(s.stateDir, ['init', '--json']), `init (${mapping})`);
    const tenants = ids(n, 't');
    // The same command on the same stack with no tenant yet: the CLI's own start-up and the
    // stack reads, which on a loaded machine dominate (the marginal cost of n tenants is the rest).
    const empty: number[] = [];
    for (let i = 0; i < 3; i++) empty.push((await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), `list empty (${mapping})`)).ms);
    const seedStarted = Date.now();
    if (mapping === 'abac') await seedAbacProbes(s, tenants);
    else await seedTenants(s, tenants, { mapped: true, cloneUsers: true });
    await seedRegistry(s, tenants);
    const seedS = round((Date.now() - seedStarted) / 1000);
    const runs: number[] = [];
    let calls: Record<string, number> = {};
    let callCount = 0;
    for (let i = 0; i < 3; i++) {
      const mark = s.mark();
      const r = await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), `list (${mapping})`);
      const doc = JSON.parse(r.stdout) as { counts: Record<string, number>; registry: { rows: number; calls: number } };
      if (doc.counts.ok !== n) throw new Error(`tenant list (${mapping}) shows ${doc.counts.ok} ok tenants, expected ${n}: ${JSON.stringify(doc.counts)}`);
      if (doc.registry.rows !== n) throw new Error(`tenant list (${mapping}) read ${doc.registry.rows} registry rows, expected ${n}`);
      runs.push(r.ms);
      const lines = s.since(mark);
      calls = countByOperation(lines);
      callCount = lines.length;
    }
    return {
      tenants: n,
      seeded:
        mapping === 'abac'
          ? 'registry rows (BatchWriteItem) + probe users with the tenant claim and scope group (the first by AdminCreateUser, the rest copied into the sandbox state: scrypt per user is too slow for 10,000)'
          : 'roles, inline policies, groups (IAM/Cognito APIs) + probe users in their groups (copied into the sandbox state like ABAC) + registry rows',
      seedS,
      wallMs: runs.map((x) => Math.round(x)),
      medianMs: Math.round(median(runs)),
      emptyStackMedianMs: Math.round(median(empty)),
      marginalMs: Math.round(median(runs) - median(empty)),
      calls: callCount,
      byOperation: calls,
    };
  } finally {
    await s.close();
    s.remove();
  }
}

/** The policy bench's richer stack (pooled table with indexes, attribute-restricted table, silo table, two buckets). */
function richConfig(mapping: 'token' | 'abac'): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: 'eu-central-1',
    accountId: '123456789012',
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    granularity: 'tenant',
    mapping,
    tables: [
      { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: ['byDate', 'byStatus'] },
      { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
      { name: 'ledger', partitionKey: 'pk', model: 'silo' },
    ],
    buckets: [{ name: 'isoctl-files' }, { name: 'isoctl-exports', prefix: 'exports/{tenant}/' }],
  });
}

function proofTiming(config: StackConfig, n: number) {
  const tenants = ids(n, 'tenant-');
  const started = performance.now();
  const p = proveIsolation(config, tenants);
  const ms = performance.now() - started;
  if (!p.ok) throw new Error(`isolation proof (${config.mapping}, ${n}) failed: ${JSON.stringify(p.failures.slice(0, 3))}`);
  // ABAC: `sampled` representative ids stand for all (docs/security.md row 10g); role mode: sampled = tenants.
  return { tenants: n, sampled: p.sampled, ms: Math.round(ms), probes: p.probes, probesPerS: Math.round(p.probes / (ms / 1000)) };
}

export default async function run() {
  const LIST_ABAC = Number(process.env.BENCH_ABAC_LIST_TENANTS ?? 10000);
  const LIST_ROLE = Number(process.env.BENCH_ROLE_LIST_TENANTS ?? 5000);
  const loadAtStart = load();
  const tenants = ['acme', 'globex', 'initech'];
  const create = { abac: await createCalls('abac', tenants), token: await createCalls('token', tenants) };

  // The proofs first (pure CPU, seconds), then the sandbox-heavy list runs.
  const proofLoad = load();
  const proof = {
    loadAvg: proofLoad,
    config: 'rich (bench/policy): 3 tables incl. silo and attribute-restricted, 2 buckets, 2 scopes',
    abac: proofTiming(richConfig('abac'), 10000),
    token: proofTiming(richConfig('token'), 5000),
    abac1000: proofTiming(richConfig('abac'), 1000),
    token1000: proofTiming(richConfig('token'), 1000),
  };
  const list = { abac: await listTiming('abac', LIST_ABAC), token: await listTiming('token', LIST_ROLE) };
  const loadAtEnd = load();
  const perTenant = (ms: number, n: number) => ms / n;
  return {
    name: 'abac',
    metrics: {
      loadAvg: { start: loadAtStart, beforeProof: proofLoad, end: loadAtEnd, cores: 2 },
      create,
      list,
      proof,
      ratios: {
        proofMsPerTenant_abac_over_token: round(perTenant(proof.abac.ms, proof.abac.tenants) / perTenant(proof.token.ms, proof.token.tenants)),
        listMsPerTenant_abac_over_token: round(perTenant(list.abac.medianMs, list.abac.tenants) / perTenant(list.token.medianMs, list.token.tenants)),
        listMarginalMsPerTenant_abac_over_token: round(
          perTenant(list.abac.marginalMs, list.abac.tenants) / perTenant(list.token.marginalMs, list.token.tenants),
        ),
      },
    },
    targets: [
      { metric: 'abac tenant create --wait none: mutating IAM calls', target: '= 0', value: create.abac.iamMutating, ok: create.abac.iamMutating === 0 },
      { metric: `abac tenant list, ${LIST_ABAC} tenants (median ms, CLI wall)`, target: '< 2000', value: list.abac.medianMs, ok: list.abac.medianMs < 2000 },
      { metric: 'abac isolation proof, 10,000 tenants (ms)', target: '< 2000', value: proof.abac.ms, ok: proof.abac.ms < 2000 },
    ],
  };
}
