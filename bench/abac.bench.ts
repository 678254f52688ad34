// ABAC mode (issue 12) beside role (token) mode in one run: IAM calls of `tenant create --wait none`,
// counted from the sandbox's request log. Target: 0 mutating IAM calls in ABAC mode (role mode
// needs CreateRole + PutRolePolicy per tenant).
import { benchSandbox, countByOperation, isoctl, must } from './scripts/lib.js';

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

export default async function run() {
  const tenants = ['acme', 'globex', 'initech'];
  const abac = await createCalls('abac', tenants);
  const token = await createCalls('token', tenants);
  return {
    name: 'abac',
    metrics: { abac, token },
    targets: [{ metric: 'abac tenant create --wait none: mutating IAM calls', target: '= 0', value: abac.iamMutating, ok: abac.iamMutating === 0 }],
  };
}
