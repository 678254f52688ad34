// `tenant create` in ABAC mode (issue 12): no IAM write at all. The stack's scope roles, their
// groups and the identity pool's principal-tag map are made by `init`; a tenant is its silo tables
// (tagged), its probe user (tenant claim = id, in a scope group) and, once it lands, a registry row.
import type { AwsApis } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { FailedError, PendingError, RefusedError, UsageError } from '../errors.js';
import { scopeRoleArn, scopeRoleName } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { assertIsolationProof, desiredTenant, resolveScopes, type DesiredTenant } from './desired.js';
import { applySteps, type StepReport } from './apply.js';
import { observeTenant, type ObservedTenant } from './observe.js';
import type { Step } from './plan.js';
import { registerTenant, type RegistryChange } from './registry.js';
import { ProbeError, ProbeSession } from './probe.js';
import * as probeUser from './resources/probe-user.js';
import * as siloTable from './resources/silo-table.js';
import { retryAfterSeconds, waitFor, NotYet, Wrong, type Check, type WaitLevel, type WaitResult } from './wait.js';

/** create.ts's CreateTenantInput / CreateTenantResult, structurally (create.ts imports this module). */
interface CreateTenantInput {
  tenant: string;
  scopes?: string[] | undefined;
  wait: WaitLevel;
  timeoutMs: number;
  dryRun: boolean;
}
interface CreateTenantResult {
  tenant: string;
  stack: string;
  status: 'created' | 'updated' | 'unchanged' | 'planned';
  dryRun: boolean;
  scopes: string[];
  role: { name: string; arn: string };
  steps: StepReport[];
  registry?: RegistryChange | undefined;
  wait?: (WaitResult & { level: WaitLevel }) | undefined;
}
import type { AwsCallError } from '../aws/errors.js';

/** What an ABAC tenant is made of in AWS: its probe user (and its groups) and its silo tables; no role, no mapping of its own. */
export type AbacObserved = Pick<ObservedTenant, 'tenant' | 'probe' | 'siloTables'>;

export function observeAbacTenant(apis: AwsApis, config: StackConfig, tenant: string): Promise<AbacObserved> {
  return observeTenant(apis, config, tenant, { abac: true });
}

/** The scope role a tenant's probe user assumes: its first scope's (the group the probe joins). */
export function abacProbeRole(config: StackConfig, scopes: string[]): { name: string; arn: string } {
  const scope = scopes[0] ?? '';
  return { name: scopeRoleName(config, scope), arn: scopeRoleArn(config, scope) };
}

/** Refuses a tenant id that is a scope name: it would share the name isoctl-<stack>-<scope> with the scope role. */
export function assertNotScopeName(config: StackConfig, tenant: string): void {
  if (tenant in config.scopes)
    throw new UsageError(`tenant id ${JSON.stringify(tenant)} is a scope name of this ABAC stack; pick another id`, 'invalid_tenant_id');
}

/** The steps that make the tenant as desired; refuses (nothing changed) when a piece in its place is not isoctl's. */
export function planAbacSteps(config: StackConfig, desired: DesiredTenant, observed: AbacObserved): Step[] {
  const refusals = [
    ...observed.siloTables.filter((t) => t.table).map((t) => siloTable.owned(config, { name: t.name, tags: t.tags }, desired.tenant)),
    ...(observed.probe.user ? [probeUser.owned(config, observed.probe.user, desired.tenant)] : []),
  ].flatMap((o) => (o.owned ? [] : [o.reason]));
  if (refusals.length > 0)
    throw new RefusedError(`tenant ${desired.tenant}: not isoctl's, nothing was changed:\n${refusals.map((r) => `  - ${r}`).join('\n')}`, 'not_owned');
  return [...siloTable.plan(desired, observed.siloTables), ...probeUser.plan(desired, observed.probe)];
}

export async function createAbacTenant(ctx: TenantContext, input: CreateTenantInput): Promise<CreateTenantResult> {
  const { config, apis } = ctx;
  const scopes = resolveScopes(config, input.scopes);
  assertNotScopeName(config, input.tenant);
  const desired = desiredTenant(config, input.tenant, scopes);
  // Offline, before any AWS call: the scope policies keep this tenant apart from a neighbour.
  assertIsolationProof(config, desired.tenant);
  const role = abacProbeRole(config, scopes);

  ctx.progress?.(`reading tenant ${desired.tenant}`);
  // Reads only: the scope role must exist (init), the probe user and silo tables are observed.
  const [scopeRole, observed] = await Promise.all([apis.iam.getRole(role.name), observeAbacTenant(apis, config, desired.tenant)]);
  if (!scopeRole) throw new FailedError(`the ABAC scope role ${role.name} does not exist; run \`isoctl init\` first`, 'not_initialized');
  const steps = planAbacSteps(config, desired, observed);
  const base = { tenant: desired.tenant, stack: config.stack, scopes, role };
  if (input.dryRun) return { ...base, status: 'planned', dryRun: true, steps: steps.map((s) => ({ ...s, state: 'planned' as const })) };
  // Registered before the AWS changes (as in role mode), so an interrupted create is known to the
  // registry too. A tenant without a probe user is almost always new: its row is written on the
  // condition that none exists (no GetItem first); if one does, it is read and decided on.
  const registry = await registerTenant(ctx, desired.tenant, scopes, observed.probe.user ? undefined : { row: undefined });
  const applied: StepReport[] = [];
  const reports = await applySteps(ctx, steps, desired, desired.tenant, (r) => applied.push(r));
  const status = reports.length === 0 ? 'unchanged' : observed.probe.user ? 'updated' : 'created';
  const result: CreateTenantResult = { ...base, status, dryRun: false, steps: reports, registry };
  if (input.wait === 'none' || input.wait === 'iam') return result;

  const waited = await waitAbacTenant(ctx, desired, input.wait, input.timeoutMs);
  result.wait = { level: input.wait, ...waited };
  if (waited.timedOut) {
    const pending = waited.checks.filter((c) => c.state === 'pending').map((c) => c.name);
    throw new PendingError(
      `tenant ${desired.tenant}: not yet visible everywhere after ${Math.round(input.timeoutMs / 1000)}s (pending: ${pending.join(', ')})`,
      retryAfterSeconds(waited),
      {
        result,
        pending,
      },
    );
  }
  if (!waited.ok) {
    const failed = waited.checks.find((c) => c.state === 'failed');
    throw new FailedError(`tenant ${desired.tenant}: check ${failed?.name} failed: ${failed?.detail}`, 'check_failed', { details: { result } });
  }
  return result;
}

/**
 * The wait of an ABAC tenant whose probe user exists (just made or read). `cognito`: the probe
 * signs in and gets credentials for its scope role; the scope roles' trust policy issues a session
 * only with the tenant tag present and non-empty, and the probe's claim (the tag's source) is the
 * tenant id, so credentials for the scope role mean the tag. `data`: the probe also reads its own
 * partition and is denied a neighbour's.
 */
export async function waitAbacTenant(ctx: TenantContext, desired: DesiredTenant, level: WaitLevel, timeoutMs: number): Promise<WaitResult> {
  const role = abacProbeRole(ctx.config, desired.scopes);
  const session = new ProbeSession(ctx.apis, ctx.config, desired.tenant, desired.scopes, ctx, role, { userExists: true });
  const against = desired.tenant === 'isoctl-neighbour' ? 'isoctl-neighbour-2' : 'isoctl-neighbour';
  const notYet = (err: AwsCallError) => err.reason === 'role-mapping-unresolved';
  const checks: Check[] = [
    {
      name: 'cognito:credentials',
      service: 'cognito',
      waitingFor: `waiting for Cognito to issue the probe credentials of ${role.name} tagged with its tenant`,
      notYet,
      run: async () => (await session.proveRole().catch(probeFailure)).roleArn,
    },
  ];
  if (level === 'data')
    checks.push({
      name: 'dynamodb:probe',
      service: 'dynamodb',
      waitingFor: 'waiting for DynamoDB to let the probe identity read its own partition',
      notYet,
      run: async () => {
        const r = await session.run(against).catch(probeFailure);
        const leaks = r.checks.filter((c) => c.expect === 'deny' && c.outcome === 'allowed');
        if (leaks.length > 0) throw new Wrong(`isolation does not hold: ${leaks.map((c) => `${c.name} on ${c.table} was allowed`).join('; ')}`);
        const notYetCheck = r.checks.find((c) => c.expect === 'allow' && !c.ok);
        if (notYetCheck) {
          if (notYetCheck.outcome === 'denied') throw new NotYet(`own read still denied: ${notYetCheck.detail ?? ''}`);
          throw new Wrong(`${notYetCheck.name} on ${notYetCheck.table}: ${notYetCheck.detail ?? notYetCheck.outcome}`);
        }
        return `own partition readable; ${r.checks.filter((c) => c.expect === 'deny').length} cross-tenant reads denied`;
      },
    });
  return waitFor(checks, { timeoutMs, signal: ctx.signal, clock: ctx, onProgress: (c) => ctx.progress?.(c.waitingFor) });
}

function probeFailure(err: unknown): never {
  if (err instanceof ProbeError && err.stage === 'role') throw new NotYet(err.message);
  if (err instanceof ProbeError) throw new Wrong(err.message);
  throw err;
}
