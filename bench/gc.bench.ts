// gc of 500 orphans (complete tenants whose group is gone: role, inline policy, probe user) with
// the sandbox throttling 20% of all requests, against the same gc without faults, both measured in
// this run from copies of one seeded state dir. Reports wall time and calls (from the request log)
// and checks that everything was removed (exit 0, a second gc finds nothing). Under throttling the
// wall time is bound by backoff (each throttled call waits 100-200 ms and more before its retry,
// and a tenant's calls run in order), so it is also measured with --concurrency 16.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSandbox, countByOperation, ids, isoctl, must, round, seedTenants } from './scripts/lib.js';

interface GcRun {
  wallS: number;
  exit: number | null;
  calls: number;
  throttled: number;
  removed: number;
  failed: number;
  waiting: number;
  byOperation: Record<string, number>;
}

async function gcOn(template: string, faults: { throttle: number } | undefined, orphans: number, concurrency = 4): Promise<GcRun> {
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-gcbench-'));
  cpSync(template, dir, { recursive: true });
  rmSync(join(dir, 'requests.jsonl'), { force: true });
  const s = await benchSandbox({ stack: 'gcb', stateDir: dir, faults, seed: 20 });
  try {
    const r = await isoctl(dir, ['gc', '--apply', '--yes', '--min-age', '0s', '--concurrency', String(concurrency), '--json']);
    let doc: { counts: Record<string, number> };
    try {
      doc = JSON.parse(r.stdout) as typeof doc;
    } catch {
      throw new Error(`gc (faults ${JSON.stringify(faults)}) exited ${r.code} without a JSON document:\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
    }
    if (!doc.counts) throw new Error(`gc (faults ${JSON.stringify(faults)}) exited ${r.code}: ${r.stdout.slice(0, 2000)}`);
    const lines = s.requests();
    const out: GcRun = {
      wallS: round(r.ms / 1000),
      exit: r.code,
      calls: lines.length,
      throttled: lines.filter((l) => l.fault === 'throttle').length,
      removed: doc.counts.removed ?? 0,
      failed: doc.counts.failed ?? 0,
      waiting: doc.counts.waiting ?? 0,
      byOperation: countByOperation(lines),
    };
    // Whatever the faults did, nothing may be left (a second run sees no garbage).
    const again = JSON.parse((await must(isoctl(dir, ['gc', '--min-age', '0s', '--json']), 'gc plan')).stdout) as {
      items: Array<{ kind: string; tenant: string; reason: string }>;
    };
    if (again.items.length !== 0) {
      const first = (doc as unknown as { items: Array<{ kind: string; tenant: string; state: string; detail?: string }> }).items;
      const left = again.items.slice(0, 5).map((i) => {
        const was = first.filter((f) => f.tenant === i.tenant).map((f) => `${f.kind} ${f.state}${f.detail ? ` (${f.detail})` : ''}`);
        return `${i.kind} ${i.tenant}: ${i.reason}; the --apply run said: ${was.join(', ') || 'nothing about it'}`;
      });
      throw new Error(
        `gc --apply (exit ${r.code}, counts ${JSON.stringify(doc.counts)}, faults ${JSON.stringify(faults)}, --concurrency ${concurrency}) left ${again.items.length} item(s) of ${orphans} orphans:\n${left.join('\n')}`,
      );
    }
    return out;
  } finally {
    await s.close();
    s.remove();
  }
}

export default async function run() {
  const ORPHANS = Number(process.env.BENCH_GC_ORPHANS ?? 500);
  const seed = await benchSandbox({ stack: 'gcb' });
  try {
    await must(isoctl(seed.stateDir, ['init', '--json']), 'init');
    await must(isoctl(seed.stateDir, ['tenant', 'create', 'keep', '--json']), 'create keep');
    await seedTenants(seed, ids(ORPHANS, 'o'), { mapped: false });
  } finally {
    await seed.close();
  }
  let clean: GcRun;
  let throttled: GcRun;
  let throttled16: GcRun;
  try {
    clean = await gcOn(seed.stateDir, undefined, ORPHANS);
    throttled = await gcOn(seed.stateDir, { throttle: 0.2 }, ORPHANS);
    throttled16 = await gcOn(seed.stateDir, { throttle: 0.2 }, ORPHANS, 16);
  } finally {
    seed.remove();
  }
  const items = 2 * ORPHANS; // a role and a probe user each
  const metrics = {
    orphans: ORPHANS,
    items,
    noFaults: clean,
    throttle20: throttled,
    throttle20Concurrency16: throttled16,
    wallRatio: round(throttled.wallS / clean.wallS),
    wallRatioConcurrency16: round(throttled16.wallS / clean.wallS),
    callsRatio: round(throttled.calls / clean.calls),
  };
  return {
    name: 'gc',
    metrics,
    targets: [
      {
        metric: 'throttle20: removed / items (exit 0)',
        target: `= ${items}`,
        value: throttled.exit === 0 ? throttled.removed : -1,
        ok: throttled.exit === 0 && throttled.removed === items,
      },
      { metric: 'throttle20 calls / no-fault calls', target: '<= 1.5', value: metrics.callsRatio, ok: metrics.callsRatio <= 1.5 },
      {
        metric: 'throttle20 --concurrency 16: removed / items (exit 0)',
        target: `= ${items}`,
        value: throttled16.exit === 0 ? throttled16.removed : -1,
        ok: throttled16.exit === 0 && throttled16.removed === items,
      },
    ],
  };
}
