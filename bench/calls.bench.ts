// API calls per operation, counted from the sandbox's request log, against the minimum the design
// needs (token mapping, default --wait cognito):
//   create (new tenant)  3 reads to observe (role, group, probe user) + 5 writes (CreateRole with
//                        trust, boundary and tags; PutRolePolicy; CreateGroup; AdminCreateUser;
//                        AdminAddUserToGroup) + 4 reads to confirm (role, inline policy, group,
//                        the pool's Token mapping) + the credentials proof of --wait cognito (#11:
//                        AdminSetUserPassword and GetId write, AdminInitiateAuth,
//                        GetCredentialsForIdentity, STS GetCallerIdentity read) = 17, 7 of them writes
//   create again         6 reads to observe (role, inline policy names, the policy, group, probe
//                        user, its groups) + the Token-mapping check = 7; no writes (nothing changed,
//                        so no sign-in: it would set the probe's password)
//   delete               4 reads (role, inline policy names, group, probe user) + 4 writes
//                        (DeleteGroup, AdminDeleteUser, DeleteRolePolicy, DeleteRole) + 1 read
//                        confirming the role is gone = 9
//   list, 1,000 tenants  ListRoles at 1,000 per page + ListGroups at 60 per page = 1 + 17 = 18
//   gc, 500 orphans      listing (ListRoles, ListGroups, ListUsers at 60 per page: 1 + 1 + 9) +
//                        per orphan: plan (GetRole for tags, which ListRoles lacks; ListRolePolicies
//                        for half-created), re-check right before removing, as the design requires
//                        so gc cannot race a create (GetRole, GetGroup), removal (DeleteRolePolicy,
//                        DeleteRole, AdminDeleteUser), confirmation for removed|waiting (GetRole,
//                        AdminGetUser) = 11 + 9 x 500 = 4,511. Without re-check and confirmation the
//                        floor would be 11 + 5 x 500 = 2,511 (reported as bareMinimum).
import { benchSandbox, countByOperation, ids, isoctl, must, round, seedTenants, type BenchSandbox } from './scripts/lib.js';

interface Measured {
  calls: number;
  mutating: number;
  minimum: number;
  minimumMutating: number;
  ratio: number;
  ms: number;
  byOperation: Record<string, number>;
}

async function measure(s: BenchSandbox, args: string[], minimum: number, minimumMutating: number): Promise<Measured> {
  const mark = s.mark();
  const r = await must(isoctl(s.stateDir, args), args.join(' '));
  const lines = s.since(mark);
  const calls = lines.length;
  return {
    calls,
    mutating: lines.filter((l) => l.mutating).length,
    minimum,
    minimumMutating,
    ratio: round(calls / minimum),
    ms: Math.round(r.ms),
    byOperation: countByOperation(lines),
  };
}

export default async function run() {
  const LIST_TENANTS = Number(process.env.BENCH_LIST_TENANTS ?? 1000);
  const GC_ORPHANS = Number(process.env.BENCH_GC_ORPHANS ?? 500);
  const metrics: Record<string, Measured & { bareMinimum?: number }> = {};

  const s = await benchSandbox({ stack: 'calls' });
  try {
    await must(isoctl(s.stateDir, ['init', '--json']), 'init');
    metrics.create = await measure(s, ['tenant', 'create', 'acme', '--json'], 17, 7);
    metrics.createAgain = await measure(s, ['tenant', 'create', 'acme', '--json'], 7, 0);
    metrics.delete = await measure(s, ['tenant', 'delete', 'acme', '--yes', '--json'], 9, 4);
    await seedTenants(s, ids(LIST_TENANTS, 't'), { mapped: true });
    metrics.list = await measure(s, ['tenant', 'list', '--json'], 1 + Math.ceil(LIST_TENANTS / 60), 0);
    const listed = JSON.parse((await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), 'list')).stdout) as { counts: { ok: number } };
    if (listed.counts.ok !== LIST_TENANTS) throw new Error(`tenant list shows ${listed.counts.ok} ok tenants, expected ${LIST_TENANTS}`);
  } finally {
    await s.close();
    s.remove();
  }

  const g = await benchSandbox({ stack: 'gcc' });
  try {
    await must(isoctl(g.stateDir, ['init', '--json']), 'init');
    await seedTenants(g, ids(GC_ORPHANS, 'o'), { mapped: false });
    const listing = 2 + Math.ceil(GC_ORPHANS / 60);
    metrics.gc = {
      ...(await measure(g, ['gc', '--apply', '--yes', '--min-age', '0s', '--json'], listing + 9 * GC_ORPHANS, 3 * GC_ORPHANS)),
      bareMinimum: listing + 5 * GC_ORPHANS,
    };
    const left = await must(isoctl(g.stateDir, ['gc', '--min-age', '0s', '--json']), 'gc plan');
    if (JSON.parse(left.stdout).items.length !== 0) throw new Error(`gc left items: ${left.stdout.slice(0, 500)}`);
  } finally {
    await g.close();
    g.remove();
  }

  const targets = Object.entries(metrics).flatMap(([op, m]) => [
    { metric: `${op}.mutating`, target: `= ${m.minimumMutating} (the minimum)`, value: m.mutating, ok: m.mutating === m.minimumMutating },
    { metric: `${op}.calls / minimum`, target: '<= 2', value: m.ratio, ok: m.ratio <= 2 },
  ]);
  return { name: 'calls', metrics: { listTenants: LIST_TENANTS, gcOrphans: GC_ORPHANS, ...metrics }, targets };
}
