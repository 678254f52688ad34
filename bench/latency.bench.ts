// Create latency overshoot: how long after the last service could see the new tenant does
// `tenant create` return? The sandbox runs with lag iam 1 s, cognito 2 s, dynamodb 3 s, so each
// write becomes visible to an observer exactly <lag> after the request log stamps it. For each
// create, from its own writes in the log:
//   --wait cognito: the moment = max(role, inline policy + iam lag; role, group + cognito lag)
//   --wait data:    also the inline policy + dynamodb lag (the probe's own read needs it)
// overshoot = the moment the process had exited - that moment. Target <= 2 s (the poll interval
// is capped at 2 s, so a create notices within one interval, plus its own reads and exit), and
// never negative: a negative overshoot means create said "converged" before the service could
// see the tenant (a user signing in right then would be refused).
import { benchSandbox, isoctl, median, must, round, type BenchSandbox } from './scripts/lib.js';

const LAG = { iam: 1000, cognito: 2000, dynamodb: 3000 };

async function overshoot(s: BenchSandbox, tenant: string, wait: 'cognito' | 'data'): Promise<{ overshootMs: number; totalMs: number }> {
  const mark = s.mark();
  const r = await must(isoctl(s.stateDir, ['tenant', 'create', tenant, '--wait', wait, '--json']), `create ${tenant}`);
  const lines = s.since(mark);
  const at = (op: string) => {
    const l = lines.find((x) => x.operation === op && x.status === 200);
    if (!l) throw new Error(`no ${op} in the log of create ${tenant}`);
    return Date.parse(l.t);
  };
  const role = at('CreateRole');
  const policy = at('PutRolePolicy');
  const group = at('CreateGroup');
  const seen = [role + LAG.iam, policy + LAG.iam, role + LAG.cognito, group + LAG.cognito];
  if (wait === 'data') seen.push(role + LAG.dynamodb, policy + LAG.dynamodb);
  const lastSeen = Math.max(...seen);
  const doc = JSON.parse(r.stdout) as { wait: { checks: Array<{ state: string }> } };
  if (!doc.wait.checks.every((c) => c.state === 'ok')) throw new Error(`create ${tenant} did not converge: ${r.stdout}`);
  return { overshootMs: r.endedAt - lastSeen, totalMs: Math.round(r.ms) };
}

export default async function run() {
  const N = Number(process.env.BENCH_LATENCY_RUNS ?? 5);
  const s = await benchSandbox({ stack: 'lat', lag: LAG });
  const results: Record<'cognito' | 'data', Array<{ overshootMs: number; totalMs: number }>> = { cognito: [], data: [] };
  try {
    await must(isoctl(s.stateDir, ['init', '--json']), 'init');
    // init's boundary must be visible to IAM before tenants can use it: init waits for that itself.
    for (let i = 0; i < N; i++) {
      results.cognito.push(await overshoot(s, `c${i}`, 'cognito'));
      results.data.push(await overshoot(s, `d${i}`, 'data'));
    }
  } finally {
    await s.close();
    s.remove();
  }
  const sec = (ms: number) => round(ms / 1000);
  const summary = (xs: Array<{ overshootMs: number; totalMs: number }>) => ({
    overshootMedianS: sec(median(xs.map((x) => x.overshootMs))),
    overshootMaxS: sec(Math.max(...xs.map((x) => x.overshootMs))),
    overshootMinS: sec(Math.min(...xs.map((x) => x.overshootMs))),
    returnedBeforeVisible: xs.filter((x) => x.overshootMs < 0).length,
    createMedianS: sec(median(xs.map((x) => x.totalMs))),
    samples: xs.map((x) => sec(x.overshootMs)),
  });
  const metrics = { lagMs: LAG, runs: N, waitCognito: summary(results.cognito), waitData: summary(results.data) };
  return {
    name: 'latency',
    metrics,
    targets: [
      { metric: 'waitCognito.overshootMaxS', target: '<= 2', value: metrics.waitCognito.overshootMaxS, ok: metrics.waitCognito.overshootMaxS <= 2 },
      { metric: 'waitData.overshootMaxS', target: '<= 2', value: metrics.waitData.overshootMaxS, ok: metrics.waitData.overshootMaxS <= 2 },
      { metric: 'waitCognito.overshootMinS', target: '>= 0', value: metrics.waitCognito.overshootMinS, ok: metrics.waitCognito.overshootMinS >= 0 },
      { metric: 'waitData.overshootMinS', target: '>= 0', value: metrics.waitData.overshootMinS, ok: metrics.waitData.overshootMinS >= 0 },
    ],
  };
}
