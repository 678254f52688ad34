// Doctor's table checks: the lock table (and who holds the identity pool's lease) and the pooled
// tables' keys and index keys as DescribeTable shows them.
import { lockTableName } from '../../config/schema.js';
import { observedIndexProblems } from '../../policy/index.js';
import { identityPoolLockId } from '../../tenant/names.js';
import { denied, INIT, type DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

export async function checkTables(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const lockName = lockTableName(config);
  const pooled = config.tables.filter((t) => t.model === 'pooled');
  const [lock, ...tables] = await Promise.all([
    env.reads.run('dynamodb:DescribeTable', () => env.apis.dynamodb.describeTable(lockName)),
    ...pooled.map((t) => env.reads.run('dynamodb:DescribeTable', () => env.apis.dynamodb.describeTable(t.name))),
  ]);
  const out: Finding[] = [];
  if (!lock!.ok) out.push(denied('lock-table', 'dynamodb:DescribeTable', lock!.error));
  else if (!lock!.value)
    out.push(
      finding('lock-table', 'problem', `the lock table ${lockName} does not exist: identity-pool writes (rules, init) refuse to run`, {
        command: INIT,
        action: 'Run init: it creates the lock table.',
      }),
    );
  else if (lock!.value.status !== 'ACTIVE')
    out.push(finding('lock-table', 'warning', `the lock table ${lockName} is ${lock!.value.status}`, { action: 'Wait until it is ACTIVE.' }));
  else {
    const lease = await env.reads.run('dynamodb:GetItem', () => env.apis.dynamodb.getLease(lockName, identityPoolLockId(config.identityPoolId)));
    if (!lease.ok) out.push(denied('lock-table', 'dynamodb:GetItem', lease.error));
    else if (lease.value && lease.value.expiresAt > env.now())
      out.push(
        finding(
          'lock-table',
          'warning',
          `the identity pool's lock is held by ${lease.value.holder || 'another isoctl'} until ${new Date(lease.value.expiresAt).toISOString()}`,
          { action: 'Identity-pool writes wait for it; the lease expires by itself if its holder crashed.' },
          { holder: lease.value.holder },
        ),
      );
    else
      out.push(
        finding(
          'lock-table',
          'ok',
          `lock table ${lockName} reachable${lease.value ? ' (an expired lease is left; the next writer takes it over)' : ', lock free'}`,
        ),
      );
  }
  const problems: string[] = [];
  const missing: string[] = [];
  pooled.forEach((t, i) => {
    const r = tables[i]!;
    if (!r.ok) problems.push(`${t.name}: ${r.error}`);
    else if (!r.value) missing.push(t.name);
    else if (r.value.partitionKey.name !== t.partitionKey)
      problems.push(`${t.name} has partition key ${r.value.partitionKey.name}, the config says ${t.partitionKey}`);
    else if (t.sortKey && r.value.sortKey?.name !== t.sortKey)
      problems.push(`${t.name} has sort key ${r.value.sortKey?.name ?? 'none'}, the config says ${t.sortKey}`);
  });
  const indexProblems = pooled.flatMap((t, i) => {
    const r = tables[i]!;
    return r.ok && r.value ? observedIndexProblems(config, t.name, r.value.indexPartitionKeys ?? {}) : [];
  });
  for (const p of indexProblems) out.push(finding('tables', 'problem', p.message, { action: p.fix }));
  if (problems.length > 0)
    out.push(
      finding('tables', 'problem', problems.join('; '), {
        action: 'Fix "tables" in isoctl.json to match the tables (the partition key is what the tenant policy restricts).',
      }),
    );
  else if (indexProblems.length > 0) return out;
  else if (missing.length > 0)
    out.push(
      finding('tables', 'warning', `pooled table(s) ${missing.join(', ')} do not exist: tenants cannot read or write there yet`, {
        action: 'Create the tables (isoctl does not create pooled tables), or fix "tables" in isoctl.json.',
      }),
    );
  else
    out.push(
      finding(
        'tables',
        'ok',
        `${pooled.length} pooled table(s) exist with the configured keys${config.tables.length > pooled.length ? `; silo tables are per tenant` : ''}`,
      ),
    );
  return out;
}
