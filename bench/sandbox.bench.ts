// Cost of a sandbox write as the state grows: time per CreateRole + PutRolePolicy (over HTTP, the
// SDK's path) at 100 roles and at 5,000 roles, in one run. The journal makes a write append only
// what it changed, so the ratio must stay <= 1.5 (it was ~O(state) when every write rewrote
// state.json). For contrast it also times one full rewrite of the state at 5,000 roles, which is
// what every write used to cost.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startSandbox } from '../src/sandbox/server.js';
import { StateStore } from '../src/sandbox/state.js';
import { round } from './scripts/lib.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/Pooled',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['t'] } },
    },
  ],
});
const SAMPLE = 300;
const SMALL = 100;
const LARGE = 5_000;

export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-sbxbench-'));
  const s = await startSandbox({ stateDir: dir, rolesQuota: LARGE + 2 * SAMPLE + 10 });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: s.endpoint, credentials: s.credentials, maxAttempts: 1 });
  let n = 0;
  const pair = async () => {
    const name = `bench-role-${n++}`;
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'data', PolicyDocument: POLICY }));
  };
  /**
   * Median ms per pair over SAMPLE pairs, in batches (so one GC pause does not decide it): CPU
   * time of this process (server and client both run here), which other processes on a shared
   * machine do not inflate, and wall time for reference.
   */
  const measure = async () => {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let b = 0; b < SAMPLE / 20; b++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < 20; i++) await pair();
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000 / 20);
      wall.push((performance.now() - t0) / 20);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { cpu: median(cpu), wall: median(wall) };
  };
  try {
    for (let i = 0; i < 20; i++) await pair(); // warm-up (JIT, sockets)
    while (n < SMALL) await pair();
    const at100 = await measure();
    while (n < LARGE) await pair();
    const at5000 = await measure();
    const rolesAtEnd = n;
    await s.close();
    // What each write used to cost: one rewrite of the whole state, at the size reached.
    const store = new StateStore(dir);
    store.load();
    const t0 = performance.now();
    store.compact();
    const fullRewriteMs = performance.now() - t0;
    const stateBytes = statSync(join(dir, 'state.json')).size;
    const ratio = at5000.cpu / at100.cpu;
    return {
      name: 'sandbox',
      metrics: {
        cpuMsPerCreateRoleAndPutRolePolicyAt100: round(at100.cpu, 3),
        cpuMsPerCreateRoleAndPutRolePolicyAt5000: round(at5000.cpu, 3),
        mutationCostRatio: round(ratio, 3),
        wallMsPerPairAt100: round(at100.wall, 3),
        wallMsPerPairAt5000: round(at5000.wall, 3),
        wallRatio: round(at5000.wall / at100.wall, 3),
        rolesAtEnd,
        stateBytesAtEnd: stateBytes,
        fullStateRewriteMsAtEnd: round(fullRewriteMs, 2),
        samplePairs: SAMPLE,
      },
      targets: [{ metric: 'mutationCostRatio', target: '<= 1.5', value: round(ratio, 3), ok: ratio <= 1.5 }],
    };
  } finally {
    iam.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
