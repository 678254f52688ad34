// Runs every doctor check (in parallel; each read retried on throttling), then the caller's
// permissions check over the reads they made.
import type { AwsApis } from '../../aws/apis.js';
import type { AccountScansApi } from '../../aws/account-scans.js';
import type { StackConfig } from '../../config/schema.js';
import type { RetryClock } from '../retry.js';
import { checkAccount, checkUserPool, type DoctorEnv } from './checks.js';
import { checkIdentityPool } from './checks-identity-pool.js';
import { checkBoundary, checkGroupsQuota, checkTrustAndQuota } from './checks-iam.js';
import { checkTables } from './checks-tables.js';
import { checkPermissions } from './permissions.js';
import { Reads } from './reads.js';
import { checkTenantPolicies } from './tenant-policies.js';
import { checkClobber } from './clobber.js';
import { checkScopeRoles } from './scope-roles.js';
import { checkReach } from './reach.js';
import type { CheckId, DoctorResult, Finding, FindingStatus } from './types.js';

const ORDER: CheckId[] = [
  'account',
  'user-pool',
  'app-client',
  'identity-pool',
  'role-mapping',
  'reach',
  'clobber',
  'principal-tags',
  'boundary',
  'trust',
  'scope-roles',
  'policy-headroom',
  'scope-groups',
  'tenant-policies',
  'tables',
  'lock-table',
  'quota-roles',
  'quota-rules',
  'quota-groups',
  'permissions',
];

export async function runDoctorChecks(apis: AwsApis, ops: AccountScansApi, config: StackConfig, clock: RetryClock, region: string): Promise<DoctorResult> {
  const started = clock.now();
  const env: DoctorEnv = { apis, ops, config, reads: new Reads(clock), now: () => clock.now() };
  const results = await Promise.all([
    checkAccount(env),
    checkUserPool(env),
    checkIdentityPool(env),
    checkBoundary(env),
    checkTrustAndQuota(env),
    checkGroupsQuota(env),
    checkTables(env),
    checkTenantPolicies(env),
    checkClobber(env),
    checkScopeRoles(env),
    checkReach(env),
  ]);
  const findings: Finding[] = results.flat().filter((f): f is Finding => f !== undefined);
  findings.push(await checkPermissions(env));
  findings.sort((a, b) => ORDER.indexOf(a.check) - ORDER.indexOf(b.check));
  const counts: Record<FindingStatus, number> = { ok: 0, warning: 0, problem: 0, skipped: 0 };
  for (const f of findings) counts[f.status]++;
  return {
    stack: config.stack,
    region,
    accountId: config.accountId,
    healthy: counts.problem === 0,
    counts,
    findings,
    elapsedMs: Math.round(clock.now() - started),
  };
}
