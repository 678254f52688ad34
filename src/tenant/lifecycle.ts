// `tenant suspend` and `tenant resume`: the tenant's sessions denied (all of them, existing and
// new) until resumed. The deny is the stack mode's suspension backend (src/tenant/suspension.ts);
// the registry row records the status. Reads first: a re-run makes zero mutating calls.
import { assertTenantId } from '../config/tenant-id.js';
import { FailedError, NotFoundError, PendingError, RefusedError } from '../errors.js';
import { SUSPEND_POLICY_NAME, TAG_SCOPES, tenantRoleName } from '../policy/index.js';
import type { TenantContext } from './context.js';
import type { WaitReport } from './create.js';
import { everyRoleHas, readDenyLists } from './deny-list-store.js';
import { resolveScopes, scopesFromTag } from './desired.js';
import { probeUsername } from './names.js';
import { lifecycleProbe, probeAllowedCheck, probeDeniedCheck } from './probe-checks.js';
import { getTenantRow, setTenantStatus, type RegistryChange, type RegistryRow } from './registry.js';
import { role as roleResource } from './resources/index.js';
import { suspensionBackend } from './suspension.js';
import { NotYet, retryAfterSeconds, waitFor, type Check, type WaitLevel } from './wait.js';
import type { RoleInfo } from '../aws/apis.js';

export type LifecycleWait = Extract<WaitLevel, 'none' | 'iam' | 'data'>;

export interface SuspendInput {
  tenant: string;
  wait: LifecycleWait;
  timeoutMs: number;
}

export interface SuspendResult {
  tenant: string;
  stack: string;
  action: 'suspend' | 'resume';
  /** changed: the deny (or its removal) or the registry was written now; unchanged: already so. */
  status: 'changed' | 'unchanged';
  suspended: boolean;
  /** Where the deny lives. */
  deny: string;
  changes: { iam: boolean; registry: RegistryChange };
  wait?: WaitReport | undefined;
}

/** The tenant's role, which must exist and be the stack's: not found is exit 3, not ours is exit 4. */
export async function requireTenantRole(ctx: TenantContext, tenant: string, verb: string): Promise<{ role: RoleInfo; row: RegistryRow | undefined }> {
  const [role, row] = await Promise.all([ctx.apis.iam.getRole(tenantRoleName(ctx.config, tenant)), getTenantRow(ctx, tenant)]);
  if (!role) {
    const why =
      row?.status === 'deleting'
        ? ' (its registry row says it is being deleted)'
        : row
          ? ' (it has a registry row but no role: `isoctl tenant list --deep` shows the drift)'
          : '';
    throw new NotFoundError(`cannot ${verb} tenant ${JSON.stringify(tenant)}: it does not exist in stack ${ctx.config.stack}${why}`, 'tenant_not_found');
  }
  const own = roleResource.owned(ctx.config, role, tenant);
  if (!own.owned) throw new RefusedError(`cannot ${verb} tenant ${tenant}: ${own.reason}`, 'not_owned');
  if (row?.status === 'deleting')
    throw new RefusedError(
      `cannot ${verb} tenant ${tenant}: it is being deleted (registry status deleting); finish with \`isoctl tenant delete ${tenant}\``,
      'tenant_deleting',
    );
  return { role, row };
}

/**
 * A tenant of an ABAC stack: its registry row (there is no per-tenant IAM object), or, on a stack
 * whose registry is not filled yet, its probe user carrying the tenant claim (the row is written by
 * the status change). Deleted or unknown is exit 3, being deleted exit 4.
 */
export async function requireAbacTenant(ctx: TenantContext, tenant: string, verb: string): Promise<{ row: RegistryRow | undefined }> {
  const row = await getTenantRow(ctx, tenant);
  if (!row) {
    const probe = await ctx.apis.cognitoIdp.adminGetUser(ctx.config.userPoolId, probeUsername(tenant));
    if (probe?.attributes[ctx.config.tenantClaim] === tenant) return { row: undefined };
    const state = await readDenyLists(ctx);
    const deleted = everyRoleHas(state, (e) => e.kind === 'deleted' && e.tenant === tenant);
    throw new NotFoundError(
      deleted
        ? `cannot ${verb} tenant ${JSON.stringify(tenant)}: it was deleted from stack ${ctx.config.stack}; its sessions are already denied for good (its id is tombstoned on the scope roles)`
        : `cannot ${verb} tenant ${JSON.stringify(tenant)}: it does not exist in stack ${ctx.config.stack} (no registry row)`,
      deleted ? 'tenant_deleted' : 'tenant_not_found',
    );
  }
  if (row.status === 'deleting')
    throw new RefusedError(
      `cannot ${verb} tenant ${tenant}: it is being deleted (registry status deleting); finish with \`isoctl tenant delete ${tenant}\``,
      'tenant_deleting',
    );
  return { row };
}

/** The tenant's scopes and registry row, in any mapping mode (role mode: the role must exist and be the stack's). */
export async function requireTenant(ctx: TenantContext, tenant: string, verb: string): Promise<{ scopes: string[]; row: RegistryRow | undefined }> {
  if (ctx.config.mapping === 'abac') {
    const { row } = await requireAbacTenant(ctx, tenant, verb);
    return { row, scopes: row?.scopes.length ? row.scopes : resolveScopes(ctx.config, undefined) };
  }
  const { role, row } = await requireTenantRole(ctx, tenant, verb);
  return { row, scopes: row?.scopes.length ? row.scopes : (scopesFromTag(ctx.config, role.tags?.[TAG_SCOPES]) ?? resolveScopes(ctx.config, undefined)) };
}

export async function setSuspended(ctx: TenantContext, input: SuspendInput, suspended: boolean): Promise<SuspendResult> {
  const verb = suspended ? 'suspend' : 'resume';
  const tenant = assertTenantId(input.tenant, ctx.config.stack);
  const backend = suspensionBackend(ctx.config);
  const { scopes } = await requireTenant(ctx, tenant, verb);
  ctx.progress?.(`${suspended ? 'denying' : 'allowing'} tenant ${tenant}'s sessions`);
  const iam = await backend.apply(ctx, tenant, suspended);
  const registry = await setTenantStatus(ctx, tenant, suspended ? 'suspended' : 'active', scopes);
  const result: SuspendResult = {
    tenant,
    stack: ctx.config.stack,
    action: verb,
    status: iam || registry !== 'unchanged' ? 'changed' : 'unchanged',
    suspended,
    deny: backend.describe(tenant),
    changes: { iam, registry },
  };
  if (input.wait === 'none') return result;
  const checks = lifecycleChecks(ctx, tenant, scopes, suspended, input.wait);
  return settleLifecycle(ctx, checks, result, input, `tenant ${tenant} ${suspended ? 'suspended' : 'resumed'}`);
}

/**
 * Waits for a lifecycle change's checks and records them in `result.wait`: exit 75 (PendingError)
 * when the timeout passes first, a failed check is a FailedError; suspend, resume and
 * revoke-sessions share it.
 */
export async function settleLifecycle<R extends { tenant: string; wait?: WaitReport | undefined }>(
  ctx: TenantContext,
  checks: Check[],
  result: R,
  input: { wait: LifecycleWait; timeoutMs: number },
  done: string,
): Promise<R> {
  const waited = await waitFor(checks, { timeoutMs: input.timeoutMs, signal: ctx.signal, clock: ctx, onProgress: (c) => ctx.progress?.(c.waitingFor) });
  result.wait = { level: input.wait, ...waited };
  if (waited.timedOut)
    throw new PendingError(`${done}, but not yet visible everywhere after ${Math.round(input.timeoutMs / 1000)}s`, retryAfterSeconds(waited), {
      result,
      pending: waited.checks.filter((c) => c.state === 'pending').map((c) => c.name),
    });
  if (!waited.ok) {
    const failed = waited.checks.find((c) => c.state === 'failed');
    throw new FailedError(`tenant ${result.tenant}: check ${failed?.name} failed: ${failed?.detail}`, 'check_failed', { details: { result } });
  }
  return result;
}

function lifecycleChecks(ctx: TenantContext, tenant: string, scopes: string[], suspended: boolean, level: LifecycleWait): Check[] {
  const backend = suspensionBackend(ctx.config);
  const where = ctx.config.mapping === 'abac' ? 'suspension deny list' : `${SUSPEND_POLICY_NAME} policy`;
  const checks: Check[] = [
    {
      name: suspended ? 'iam:suspend-policy' : 'iam:suspend-policy-gone',
      service: 'iam',
      waitingFor: `waiting for IAM to ${suspended ? 'show' : 'drop'} the ${where}`,
      run: async () => {
        const present = await backend.isSuspended(ctx, tenant);
        if (present !== suspended) throw new NotYet(`IAM ${suspended ? 'does not show' : 'still shows'} the ${where}`);
        return `${backend.describe(tenant)}: ${suspended ? 'present' : 'absent'}`;
      },
    },
  ];
  if (level !== 'data') return checks;
  const session = lifecycleProbe(ctx, tenant, scopes);
  checks.push(
    suspended
      ? probeDeniedCheck(session, 'dynamodb:probe-denied', 'waiting for DynamoDB to deny the probe identity its own partition')
      : probeAllowedCheck(session, 'dynamodb:probe'),
  );
  return checks;
}
