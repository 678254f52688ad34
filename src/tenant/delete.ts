// `tenant delete`: reverse order of create (mapping, probe user, inline policies, role), only
// what exists, only what carries the stack's path and tags. Silo tables hold data and are kept.
import { AwsCallError } from '../aws/errors.js';
import { tombstoneAbacTenant, type TombstoneReport } from './abac-tombstone.js';
import { assertTenantId } from '../config/tenant-id.js';
import { NotFoundError, PendingError, UsageError } from '../errors.js';
import { NotYet, retryAfterSeconds, waitFor, type Check, type WaitResult } from './wait.js';
import { tenantRoleName } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { observeTenant, type ObservedTenant } from './observe.js';
import { planDelete, tenantExists, type Step } from './plan.js';
import { getTenantRow, setTenantStatus, unregisterTenant } from './registry.js';
import { recordDeletion } from './deleted-ids.js';
import { group, probeUser, role, rule } from './resources/index.js';
import { countRemovals, describeError, type RemovalContext, type RemovalOutcome, type RemovalState } from './resources/types.js';

export type { RemovalState };

export interface RemovalItem extends Step {
  state: RemovalState;
  detail?: string | undefined;
}

export interface DeleteTenantResult {
  tenant: string;
  stack: string;
  /** deleted: removals made now; absent: nothing existed (--ignore-missing); planned: --dry-run. */
  status: 'deleted' | 'absent' | 'planned';
  dryRun: boolean;
  items: RemovalItem[];
  /** Silo tables of the tenant: they hold data, so isoctl never deletes them. */
  kept: string[];
  counts: Record<RemovalState, number>;
  /** The registry row: removed at the end of a complete delete; kept (status deleting) while a removal waits. */
  registry?: 'removed' | 'absent' | 'deleting' | undefined;
  /** Read-back after the removals: IAM no longer shows the role (absent with --no-wait or --dry-run). */
  wait?: WaitResult | undefined;
  /** ABAC: the tombstone on the scope roles and the tenant's disabled users. */
  lockout?: TombstoneReport | undefined;
}

export interface DeleteTenantInput {
  tenant: string;
  dryRun: boolean;
  ignoreMissing: boolean;
  /** Asked after planning, before the first change (typed confirmation or --yes). */
  confirm?: ((items: Step[]) => Promise<void>) | undefined;
  /** Wait up to this long until IAM no longer shows the role; undefined: do not wait. */
  waitMs?: number | undefined;
}

export async function deleteTenant(ctx: TenantContext, input: DeleteTenantInput): Promise<DeleteTenantResult> {
  const { config } = ctx;
  const tenant = assertTenantId(input.tenant, config.stack);
  // ABAC: isoctl-<stack>-<scope> is the shared scope role, never a tenant's.
  if (config.mapping === 'abac' && tenant in config.scopes)
    throw new UsageError(`tenant id ${JSON.stringify(tenant)} is a scope name of this ABAC stack`, 'invalid_tenant_id');
  ctx.progress?.(`reading tenant ${tenant}`);
  const observed = await observeTenant(ctx.apis, config, tenant);
  const kept = observed.siloTables.filter((s) => s.table).map((s) => s.name);
  const counts = countRemovals;
  if (!tenantExists(observed, config)) {
    // Only a registry row is left (a delete interrupted after its removals, or AWS resources
    // deleted by hand): removing the row finishes the delete.
    if (!input.dryRun && (await getTenantRow(ctx, tenant))) {
      await input.confirm?.([]);
      await recordDeletion(ctx, tenant);
      await unregisterTenant(ctx, tenant);
      return { tenant, stack: config.stack, status: 'deleted', dryRun: false, items: [], kept, counts: counts([]), registry: 'removed' };
    }
    if (input.ignoreMissing) return { tenant, stack: config.stack, status: 'absent', dryRun: input.dryRun, items: [], kept, counts: counts([]) };
    throw new NotFoundError(
      `tenant ${JSON.stringify(tenant)} does not exist in stack ${config.stack} (no role, mapping or probe user); pass --ignore-missing to treat that as success`,
      'tenant_not_found',
    );
  }
  const steps = planDelete(config, observed);
  if (input.dryRun) {
    const items = steps.map((s) => ({ ...s, state: 'planned' as const }));
    return { tenant, stack: config.stack, status: 'planned', dryRun: true, items, kept, counts: counts(items) };
  }
  await input.confirm?.(steps);
  // The id stays reserved for a while (src/tenant/deleted-ids.ts): recorded before the first change.
  await recordDeletion(ctx, tenant);
  // ABAC: shut the tenant out first (tombstone + disable its users), then remove its pieces.
  const lockout = config.mapping === 'abac' ? await tombstoneAbacTenant(ctx, tenant) : undefined;
  // Marked first, so a delete that stops half-way shows as `deleting` in the registry.
  await setTenantStatus(ctx, tenant, 'deleting', []);
  const items = await removeSteps(ctx, steps, observed);
  let roleStep = steps.find((s) => s.action === 'delete-role');
  // A role created moments ago may not show in IAM yet while its group or probe user (made after
  // it) already do: wait for it to appear and remove it too, rather than report the tenant gone
  // and leave an orphan behind.
  if (!observed.role && input.waitMs !== undefined && config.mapping !== 'abac') {
    const late = await awaitLateRole(ctx, observed, input.waitMs);
    if (late) {
      const again = await observeTenant(ctx.apis, config, tenant);
      const more = planDelete(config, again);
      items.push(...(await removeSteps(ctx, more, again)));
      roleStep = more.find((s) => s.action === 'delete-role');
    }
  }
  const result: DeleteTenantResult = {
    tenant,
    stack: config.stack,
    status: 'deleted',
    dryRun: false,
    items,
    kept,
    counts: counts(items),
    registry: 'deleting',
    ...(lockout ? { lockout } : {}),
  };
  if (items.every((i) => i.state === 'removed' || i.state === 'skipped')) {
    await recordDeletion(ctx, tenant); // dated again: the mapping went only now
    result.registry = (await unregisterTenant(ctx, tenant)) === 'removed' ? 'removed' : 'absent';
  }
  if (input.waitMs !== undefined && roleStep) {
    const waited = await waitFor([roleGoneCheck(ctx, roleStep.target)], {
      timeoutMs: input.waitMs,
      signal: ctx.signal,
      clock: ctx,
      onProgress: (c) => ctx.progress?.(c.waitingFor),
    });
    result.wait = waited;
    if (waited.timedOut)
      throw new PendingError(`tenant ${tenant} deleted, but IAM still shows its role after ${Math.round(input.waitMs / 1000)}s`, retryAfterSeconds(waited), {
        result,
        pending: ['iam:role-gone'],
      });
  }
  return result;
}

/** How long one removal keeps retrying "still propagating" and DeleteConflict. */
const REMOVAL_RETRY_MS = 20_000;

/**
 * Runs a delete plan through the resource modules' `remove`, in the plan's order; the inline
 * policy steps are done by the role's removal (which also detaches managed policies). An error
 * stops the delete: still propagating at the end of the retry window is exit 75 (re-run), the
 * rest keeps its own exit code.
 */
async function removeSteps(ctx: TenantContext, steps: Step[], observed: ObservedTenant): Promise<RemovalItem[]> {
  const rctx: RemovalContext = {
    ...ctx,
    now: () => ctx.now(),
    sleep: (ms, s) => ctx.sleep(ms, s),
    deadline: ctx.now() + REMOVAL_RETRY_MS,
    confirm: false,
    purpose: ctx.purpose,
  };
  const items: RemovalItem[] = [];
  const done = (step: Step, o: RemovalOutcome) => items.push({ ...step, state: o.state, detail: o.detail });
  const inlineSteps = steps.filter((s) => s.action === 'delete-inline-policy');
  for (const step of steps) {
    ctx.progress?.(`${step.action} ${step.target}`);
    try {
      if (step.action === 'delete-group') {
        const g = observed.mapping.kind === 'group' ? observed.mapping.group : undefined;
        done(step, await group.remove(rctx, { name: step.target, tenant: observed.tenant, observed: g }));
      } else if (step.action === 'remove-rule') done(step, await rule.remove(rctx, { tenant: observed.tenant }));
      else if (step.action === 'delete-probe-user') done(step, await probeUser.remove(rctx, { username: step.target }));
      else if (step.action === 'delete-role') {
        const names = inlineSteps.map((s) => s.target.slice(step.target.length + 1));
        const o = await role.remove(rctx, { name: step.target, inlinePolicies: names });
        for (const s of inlineSteps) {
          const name = s.target.slice(step.target.length + 1);
          done(s, o.removedPolicies.includes(name) ? { state: 'removed' } : { state: 'skipped', detail: 'already gone' });
        }
        done(step, o.state === 'removed' ? { state: 'removed', detail: o.detachedPolicies.length > 0 ? o.detail : undefined } : o);
      }
    } catch (err) {
      if (err instanceof AwsCallError && (err.kind === 'still-propagating' || err.kind === 'conflict'))
        throw new PendingError(`${step.action} ${step.target}: ${describeError(err)} (still so after ${REMOVAL_RETRY_MS / 1000}s)`, 10);
      throw err;
    }
  }
  // Keep the plan's order in the report (inline policies before their role).
  return steps.map((s) => items.find((i) => i.action === s.action && i.target === s.target)).filter((i): i is RemovalItem => i !== undefined);
}

/** How long after a tenant's group or probe user was made its role may still be invisible to IAM reads. */
export const ROLE_PROPAGATION_MS = 60_000;

/** Waits (bounded by the propagation window and `waitMs`) for a recently created role to show in IAM. */
async function awaitLateRole(ctx: TenantContext, observed: Awaited<ReturnType<typeof observeTenant>>, waitMs: number): Promise<boolean> {
  const group = observed.mapping.kind === 'group' ? observed.mapping.group : undefined;
  const evidence = [group?.createdAt, observed.probe.user?.createdAt].filter((t): t is number => t !== undefined);
  if (evidence.length === 0) return false;
  const windowMs = Math.max(...evidence) + ROLE_PROPAGATION_MS - Date.now();
  if (windowMs <= 0) return false;
  const roleName = tenantRoleName(ctx.config, observed.tenant);
  const waited = await waitFor(
    [
      {
        name: 'iam:late-role',
        service: 'iam',
        waitingFor: 'waiting to see whether IAM shows a role created moments ago',
        run: async () => {
          if (!(await ctx.apis.iam.getRole(roleName))) throw new NotYet('role not visible');
          return roleName;
        },
      },
    ],
    { timeoutMs: Math.min(windowMs, waitMs), signal: ctx.signal, clock: ctx, onProgress: (c) => ctx.progress?.(c.waitingFor) },
  );
  return waited.ok;
}

/** `--wait`: the deleted tenant role no longer shows in IAM's reads. */
export function roleGoneCheck(ctx: TenantContext, roleName: string): Check {
  return {
    name: 'iam:role-gone',
    service: 'iam',
    waitingFor: 'waiting for IAM to stop showing the role',
    run: async () => {
      if (await ctx.apis.iam.getRole(roleName)) throw new NotYet('role still visible');
      return roleName;
    },
  };
}
