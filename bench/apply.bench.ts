// `isoctl apply` at fleet scale, against the in-process sandbox (no lag, no faults):
//   - one apply of N (default 1,000) new tenants, token mapping ("role mode": a role per tenant;
//     the sandbox's roles quota raised to 5,000): calls per tenant against the design's minimum,
//     peak RSS of the CLI process (/usr/bin/time), wall time, tenants/s, and the sandbox's own
//     share of the time (CPU time of this process, which only hosts the sandbox, over the wall
//     time; and the sum of the request log's per-request ms);
//       design minimum, default --wait cognito: per new tenant 5 writes (CreateRole with trust,
//       boundary and tags; PutRolePolicy; CreateGroup; AdminCreateUser; AdminAddUserToGroup) + its
//       registry row (one conditional PutItem, #12) + 3 reads confirming it (GetRole,
//       GetRolePolicy, GetGroup) + the credentials proof of --wait cognito (#11: AdminSetUserPassword
//       and GetId write, AdminInitiateAuth, GetCredentialsForIdentity, STS GetCallerIdentity read);
//       once for the fleet: the boundary (GetPolicy), the identity pool's mapping
//       (GetIdentityPoolRoles), the app client's auth flows for the sign-in (DescribeUserPoolClient),
//       the registry (one Scan), ListRoles (1,000 a page), ListGroups and ListUsers (60 a page)
//       = 14 N + 4 + ceil(N/1000) + 2 ceil(existing/60 or 1), 8 N of them writes;
//   - a re-run of the same file: mutating calls (target 0);
//   - the default --concurrency: tenants/s of an apply of 200 tenants at 4, 8, 16 and 32;
//   - rules mapping, 25 tenants in one apply: SetIdentityPoolRoles calls (target <= 2).
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSandbox, bin, command, countByOperation, ids, isoctl, must, round } from './scripts/lib.js';

const specFile = (dir: string, name: string, tenants: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ tenants: tenants.map((id) => ({ id })) }));
  return p;
};

export default async function run() {
  const N = Number(process.env.BENCH_APPLY_TENANTS ?? 1000);
  const SWEEP = Number(process.env.BENCH_APPLY_SWEEP_TENANTS ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-apply-bench-'));
  const metrics: Record<string, unknown> = { tenants: N };
  try {
    // ---- one apply of N tenants, role mode
    const s = await benchSandbox({ stack: 'fleet', rolesQuota: 5000 });
    try {
      await must(isoctl(s.stateDir, ['init', '--json']), 'init');
      const tenants = ids(N, 'f');
      const f = specFile(dir, 'fleet.json', tenants);
      const mark = s.mark();
      const cpu0 = process.cpuUsage();
      const r = await must(
        command('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, bin, '--sandbox', s.stateDir, 'apply', '-f', f, '--json']),
        `apply ${N}`,
      );
      const cpu = process.cpuUsage(cpu0);
      const lines = s.since(mark);
      const out = JSON.parse(r.stdout) as { counts: Record<string, number>; concurrency: number };
      if (out.counts.created !== N) throw new Error(`apply created ${out.counts.created} of ${N}`);
      const rssKb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
      const minimum = 14 * N + 4 + Math.ceil(N / 1000) + 2;
      const minimumMutating = 8 * N;
      const sandboxMs = lines.reduce((a, l) => a + (l.ms ?? 0), 0);
      metrics.fleet = {
        wallS: round(r.ms / 1000),
        tenantsPerS: round(N / (r.ms / 1000), 1),
        concurrency: out.concurrency,
        calls: lines.length,
        mutating: lines.filter((l) => l.mutating).length,
        minimum,
        minimumMutating,
        callsPerTenant: round(lines.length / N, 3),
        minimumPerTenant: round(minimum / N, 3),
        ratio: round(lines.length / minimum, 3),
        peakRssMb: round(rssKb / 1024, 1),
        sandboxCpuS: round((cpu.user + cpu.system) / 1e6),
        sandboxShareOfWall: round((cpu.user + cpu.system) / 1000 / r.ms),
        sandboxRequestMsSum: Math.round(sandboxMs),
        byOperation: countByOperation(lines),
      };
      const m2 = s.mark();
      const again = await must(isoctl(s.stateDir, ['apply', '-f', f, '--json']), 'apply again');
      const againLines = s.since(m2);
      metrics.fleetAgain = {
        wallS: round(again.ms / 1000),
        calls: againLines.length,
        mutating: againLines.filter((l) => l.mutating).length,
        byOperation: countByOperation(againLines),
      };
    } finally {
      await s.close();
      s.remove();
    }

    // ---- the default concurrency, from measurement
    const sweep: Record<string, { wallS: number; tenantsPerS: number }> = {};
    for (const c of [4, 8, 16, 32]) {
      const w = await benchSandbox({ stack: `c${c}` });
      try {
        await must(isoctl(w.stateDir, ['init', '--json']), 'init');
        const f = specFile(dir, `sweep-${c}.json`, ids(SWEEP, 'w'));
        const r = await must(isoctl(w.stateDir, ['apply', '-f', f, '--concurrency', String(c), '--json']), `apply --concurrency ${c}`);
        sweep[String(c)] = { wallS: round(r.ms / 1000), tenantsPerS: round(SWEEP / (r.ms / 1000), 1) };
      } finally {
        await w.close();
        w.remove();
      }
    }
    metrics.concurrencySweep = { tenants: SWEEP, ...sweep };

    // ---- rules mode, 25 tenants
    const q = await benchSandbox({ stack: 'rules', mapping: 'rules' });
    try {
      await must(isoctl(q.stateDir, ['init', '--json']), 'init');
      const f = specFile(dir, 'rules.json', ids(25, 'r'));
      const mark = q.mark();
      const r = await must(isoctl(q.stateDir, ['apply', '-f', f, '--json']), 'apply rules');
      const lines = q.since(mark);
      const ops = countByOperation(lines);
      metrics.rules = {
        tenants: 25,
        wallS: round(r.ms / 1000),
        poolWrites: ops.SetIdentityPoolRoles ?? 0,
        calls: lines.length,
        mutating: lines.filter((l) => l.mutating).length,
      };
    } finally {
      await q.close();
      q.remove();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fleet = metrics.fleet as { ratio: number; peakRssMb: number; tenantsPerS: number };
  const again = metrics.fleetAgain as { mutating: number };
  const rules = metrics.rules as { poolWrites: number };
  return {
    name: 'apply',
    metrics,
    targets: [
      { metric: `apply ${N}: calls / design minimum`, target: '<= 1.1', value: fleet.ratio, ok: fleet.ratio <= 1.1 },
      { metric: `apply ${N}: peak RSS MB`, target: '<= 300', value: fleet.peakRssMb, ok: fleet.peakRssMb <= 300 },
      { metric: `apply ${N} again: mutating calls`, target: '= 0', value: again.mutating, ok: again.mutating === 0 },
      { metric: 'rules mode, 25 tenants: identity-pool writes', target: '<= 2', value: rules.poolWrites, ok: rules.poolWrites <= 2 },
    ],
  };
}
