// The same runbook, two ways, against the same sandbox (no lag, no faults): create 20 tenants,
// list them, delete them.
//   isoctl:  `tenant create <id>` x 20 (default --wait cognito: observe, apply, read back),
//            `tenant list`, `tenant delete <id> --yes` x 20 (reverse order, waits for IAM);
//   apply:   `apply -f <20 tenants>`, `tenant list`, `apply -f <no tenants> --prune --yes` (3 processes);
//   aws CLI: bench/scripts/runbook-aws.sh, the equivalent calls made blind (no reads, no waits,
//            no ownership checks), one `aws` process per call.
// The AWS CLI's tenants are checked with `isoctl tenant list --deep` between its phases (not
// timed), so both ways make the same thing. Wall time ratio isoctl / aws CLI; target <= 1; with
// apply, target <= 0.067 (15x faster, issue 13).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializePolicy } from '../src/policy/index.js';
import { desiredTenant, resolveScopes } from '../src/tenant/desired.js';
import { benchSandbox, command, ids, isoctl, must, root, round } from './scripts/lib.js';

export default async function run() {
  const N = Number(process.env.BENCH_RUNBOOK_TENANTS ?? 20);
  const haveAws = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
  const s = await benchSandbox({ stack: 'book' });
  const docs = mkdtempSync(join(tmpdir(), 'isoctl-runbook-'));
  const tenants = ids(N, 't');
  const metrics: Record<string, unknown> = { tenants: N };
  try {
    await must(isoctl(s.stateDir, ['init', '--json']), 'init');

    // ---- isoctl
    const mark = s.mark();
    const t0 = performance.now();
    for (const t of tenants) await must(isoctl(s.stateDir, ['tenant', 'create', t, '--json']), `create ${t}`);
    const tCreated = performance.now();
    const list = await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), 'list');
    if ((JSON.parse(list.stdout) as { counts: { ok: number } }).counts.ok !== N) throw new Error(`isoctl list: ${list.stdout.slice(0, 300)}`);
    const tListed = performance.now();
    for (const t of tenants) await must(isoctl(s.stateDir, ['tenant', 'delete', t, '--yes', '--json']), `delete ${t}`);
    const t1 = performance.now();
    metrics.isoctl = {
      wallS: round((t1 - t0) / 1000),
      createS: round((tCreated - t0) / 1000),
      listS: round((tListed - tCreated) / 1000),
      deleteS: round((t1 - tListed) / 1000),
      calls: s.since(mark).length,
      processes: 2 * N + 1,
    };

    // ---- isoctl apply: the same runbook as a file, 3 processes
    const applyFile = join(docs, 'tenants.json');
    const emptyFile = join(docs, 'none.json');
    writeFileSync(applyFile, JSON.stringify({ tenants: tenants.map((id) => ({ id })) }));
    writeFileSync(emptyFile, JSON.stringify({ tenants: [] }));
    const am = s.mark();
    const a0 = performance.now();
    const applied = JSON.parse((await must(isoctl(s.stateDir, ['apply', '-f', applyFile, '--json']), 'apply')).stdout) as { counts: { created: number } };
    if (applied.counts.created !== N) throw new Error(`apply created ${applied.counts.created} of ${N}`);
    const aCreated = performance.now();
    const alist = await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), 'list');
    if ((JSON.parse(alist.stdout) as { counts: { ok: number } }).counts.ok !== N) throw new Error(`isoctl list after apply: ${alist.stdout.slice(0, 300)}`);
    const aListed = performance.now();
    const pruned = JSON.parse((await must(isoctl(s.stateDir, ['apply', '-f', emptyFile, '--prune', '--yes', '--json']), 'apply --prune')).stdout) as {
      counts: { deleted: number };
    };
    if (pruned.counts.deleted !== N) throw new Error(`apply --prune deleted ${pruned.counts.deleted} of ${N}`);
    const a1 = performance.now();
    metrics.apply = {
      wallS: round((a1 - a0) / 1000),
      createS: round((aCreated - a0) / 1000),
      listS: round((aListed - aCreated) / 1000),
      deleteS: round((a1 - aListed) / 1000),
      calls: s.since(am).length,
      processes: 3,
    };

    // ---- the AWS CLI script
    if (haveAws) {
      const d = desiredTenant(s.config, 'tenantplaceholder', resolveScopes(s.config, undefined));
      writeFileSync(join(docs, 'trust.json'), serializePolicy(d.role.trustPolicy));
      writeFileSync(join(docs, 'data.json'), d.dataPolicy.json);
      const env = {
        ENDPOINT: s.sb.endpoint,
        STACK: s.config.stack,
        ACCOUNT: s.config.accountId,
        USER_POOL: s.config.userPoolId,
        BOUNDARY: d.role.boundaryArn,
        TENANTS: tenants.join(' '),
        DOCS: docs,
        AWS_ACCESS_KEY_ID: s.sb.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s.sb.credentials.secretAccessKey,
        AWS_DEFAULT_REGION: s.sb.region,
      };
      const script = join(root, 'bench', 'scripts', 'runbook-aws.sh');
      const m0 = s.mark();
      const created = await must(command('sh', [script, 'create'], env), 'runbook-aws.sh create');
      const m1 = s.mark();
      // Not timed: the script made what isoctl makes (isoctl sees every tenant as ok, nothing drifted).
      const deep = JSON.parse((await must(isoctl(s.stateDir, ['tenant', 'list', '--deep', '--json']), 'list --deep')).stdout) as {
        counts: Record<string, number>;
      };
      if (deep.counts.ok !== N) throw new Error(`after the AWS CLI script, isoctl sees ${JSON.stringify(deep.counts)}`);
      const m2 = s.mark();
      const listed = await must(command('sh', [script, 'list'], env), 'runbook-aws.sh list');
      const deleted = await must(command('sh', [script, 'delete'], env), 'runbook-aws.sh delete');
      const calls = m1 - m0 + s.since(m2).length;
      const gone = JSON.parse((await must(isoctl(s.stateDir, ['tenant', 'list', '--json']), 'list')).stdout) as { tenants: unknown[] };
      if (gone.tenants.length !== 0) throw new Error('the AWS CLI script left tenants behind');
      const wall = created.ms + listed.ms + deleted.ms;
      metrics.awsCli = {
        wallS: round(wall / 1000),
        createS: round(created.ms / 1000),
        listS: round(listed.ms / 1000),
        deleteS: round(deleted.ms / 1000),
        calls,
        processes: 5 * N + 2 + 4 * N,
      };
      metrics.ratio = round((t1 - t0) / wall);
      metrics.applyRatio = round((a1 - a0) / wall, 3);
    } else metrics.awsCli = 'aws (the AWS CLI) is not on PATH';
  } finally {
    await s.close();
    s.remove();
    rmSync(docs, { recursive: true, force: true });
  }
  const ratio = typeof metrics.ratio === 'number' ? metrics.ratio : null;
  const applyRatio = typeof metrics.applyRatio === 'number' ? metrics.applyRatio : null;
  return {
    name: 'runbook',
    metrics,
    targets: [
      { metric: 'isoctl wall / aws CLI script wall', target: '<= 1', value: ratio, ok: ratio !== null && ratio <= 1 },
      {
        metric: 'isoctl apply + apply --prune wall / aws CLI script wall',
        target: '<= 0.067',
        value: applyRatio,
        ok: applyRatio !== null && applyRatio <= 0.067,
      },
    ],
  };
}
