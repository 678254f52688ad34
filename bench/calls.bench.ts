// API calls per operation, counted from the sandbox's request log, against the minimum the design
// needs (token mapping, default --wait cognito). Since the tenant registry (#12) and the real
// credentials proof of --wait cognito (#11):
//   create (new tenant)  3 reads to observe (role, group, probe user) + the registry: one Scan (the
//                        stack's tenants, for the isolation proof against each of them), one GetItem
//                        and one conditional PutItem + 5 writes (CreateRole with trust, boundary and
//                        tags; PutRolePolicy; CreateGroup; AdminCreateUser; AdminAddUserToGroup) + 4
//                        reads to confirm (role, inline policy, group, the pool's Token mapping) +
//                        the credentials proof (AdminSetUserPassword and GetId write,
//                        AdminInitiateAuth, GetCredentialsForIdentity, STS GetCallerIdentity read)
//                        = 20, 8 of them writes
//   create again         6 reads to observe (role, inline policy names, the policy, group, probe
//                        user, its groups) + the Token-mapping check + registry Scan and GetItem = 9;
//                        no writes (nothing changed, so no sign-in: it would set the probe's password)
//   delete               4 reads (role, inline policy names, group, probe user) + 4 writes
//                        (DeleteGroup, AdminDeleteUser, DeleteRolePolicy, DeleteRole) + 1 read
//                        confirming the role is gone + the registry: GetItem, PutItem (deleting),
//                        DeleteItem at that version = 12, 6 of them writes
//   list, 1,000 tenants  ListRoles at 1,000 per page + ListGroups and ListUsers (probe users) at 60
//                        per page + the registry Scan (1 MB pages: 1,000 rows fit in one)
//                        = 1 + 17 + 17 + 1 = 36. The tenants are seeded with their registry rows (a
//                        stack already on the registry); `listFirstRun` is the first list of a stack
//                        made before the registry, which fills it (per tenant: GetRole for the scopes
//                        tag, GetItem, PutItem; reported, no target)
//   gc, 500 orphans      listing (ListRoles, ListGroups, ListUsers at 60 per page: 1 + 1 + 9) +
//                        per orphan: plan (GetRole for tags, which ListRoles lacks; ListRolePolicies
//                        for half-created), re-check right before removing, as the design requires
//                        so gc cannot race a create (GetRole, GetGroup), removal (DeleteRolePolicy,
//                        DeleteRole, AdminDeleteUser), confirmation for removed|waiting (GetRole,
//                        AdminGetUser) = 11 + 9 x 500 = 4,511. Without re-check and confirmation the
//                        floor would be 11 + 5 x 500 = 2,511 (reported as bareMinimum).
import { benchSandbox, countByOperation, ids, isoctl, must, round, seedRegistry, seedTenants, type BenchSandbox } from './scripts/lib.js';

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
    metrics.create = await measure(s, ['tenant', 'create', 'acme', '--json'], 20, 8);
    metrics.createAgain = await measure(s, ['tenant', 'create', 'acme', '--json'], 9, 0);
    metrics.delete = await measure(s, ['tenant', 'delete', 'acme', '--yes', '--json'], 12, 6);
    // A stack made before the registry: the first list fills it (reported, no target).
    await seedTenants(s, ids(LIST_TENANTS, 'u'), { mapped: true });
    metrics.listFirstRun = await measure(s, ['tenant', 'list', '--json'], 1 + 2 * Math.ceil(LIST_TENANTS / 60) + 1, 0);
  } finally {
    await s.close();
    s.remove();
  }

  const s2 = await benchSandbox({ stack: 'callsl' });
  try {
    await must(isoctl(s2.stateDir, ['init', '--json']), 'init');
    await seedTenants(s2, ids(LIST_TENANTS, 't'), { mapped: true });
    await seedRegistry(s2, ids(LIST_TENANTS, 't'));
    const s = s2;
    metrics.list = await measure(s, ['tenant', 'list', '--json'], 1 + 2 * Math.ceil(LIST_TENANTS / 60) + 1, 0);
    const listed = JSON.parse((await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), 'list')).stdout) as { counts: { ok: number } };
    if (listed.counts.ok !== LIST_TENANTS) throw new Error(`tenant list shows ${listed.counts.ok} ok tenants, expected ${LIST_TENANTS}`);
  } finally {
    await s2.close();
    s2.remove();
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

  const targets = Object.entries(metrics)
    .filter(([op]) => op !== 'listFirstRun')
    .flatMap(([op, m]) => [
      { metric: `${op}.mutating`, target: `= ${m.minimumMutating} (the minimum)`, value: m.mutating, ok: m.mutating === m.minimumMutating },
      { metric: `${op}.calls / minimum`, target: '<= 2', value: m.ratio, ok: m.ratio <= 2 },
    ]);
  return { name: 'calls', metrics: { listTenants: LIST_TENANTS, gcOrphans: GC_ORPHANS, ...metrics }, targets };
}
