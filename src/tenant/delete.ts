// `tenant delete`: reverse order of create (mapping, probe user, inline policies, role), only
// what exists, only what carries the stack's path and tags. Silo tables hold data and are kept.
import { assertTenantId } from '../config/tenant-id.js';
import { NotFoundError, PendingError } from '../errors.js';
import { NotYet, retryAfterSeconds, waitFor, type WaitResult } from './wait.js';
import { tenantRoleArn } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { observeTenant } from './observe.js';
import { planDelete, tenantExists, type Step } from './plan.js';
import { applySteps } from './apply.js';

export type RemovalState = 'planned' | 'removed' | 'skipped';

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
  counts: { removed: number; skipped: number; planned: number };
  /** Read-back after the removals: IAM no longer shows the role (absent with --no-wait or --dry-run). */
  wait?: WaitResult | undefined;
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
  ctx.progress?.(`reading tenant ${tenant}`);
  const observed = await observeTenant(ctx.apis, config, tenant);
  const kept = observed.siloTables.filter((s) => s.table).map((s) => s.name);
  const counts = (items: RemovalItem[]) => ({
    removed: items.filter((i) => i.state === 'removed').length,
    skipped: items.filter((i) => i.state === 'skipped').length,
    planned: items.filter((i) => i.state === 'planned').length,
  });
  if (!tenantExists(observed, config)) {
    if (input.ignoreMissing) return { tenant, stack: config.stack, status: 'absent', dryRun: input.dryRun, items: [], kept, counts: counts([]) };
    throw new NotFoundError(`tenant ${JSON.stringify(tenant)} does not exist in stack ${config.stack} (no role, mapping or probe user); pass --ignore-missing to treat that as success`, 'tenant_not_found');
  }
  const steps = planDelete(config, observed, tenantRoleArn(config, tenant));
  if (input.dryRun) {
    const items = steps.map((s) => ({ ...s, state: 'planned' as const }));
    return { tenant, stack: config.stack, status: 'planned', dryRun: true, items, kept, counts: counts(items) };
  }
  await input.confirm?.(steps);
  const reports = await applySteps(ctx, steps, undefined, tenant);
  const items: RemovalItem[] = reports.map(({ state: _state, detail, ...s }) => ({
    ...s,
    state: detail === 'already gone' || detail === 'already as wanted' ? 'skipped' : 'removed',
    detail,
  }));
  const result: DeleteTenantResult = { tenant, stack: config.stack, status: 'deleted', dryRun: false, items, kept, counts: counts(items) };
  const roleStep = steps.find((s) => s.action === 'delete-role');
  if (input.waitMs !== undefined && roleStep) {
    const waited = await waitFor(
      [
        {
          name: 'iam:role-gone',
          service: 'iam',
          waitingFor: 'waiting for IAM to stop showing the role',
          run: async () => {
            if (await ctx.apis.iam.getRole(roleStep.target)) throw new NotYet('role still visible');
            return roleStep.target;
          },
        },
      ],
      { timeoutMs: input.waitMs, signal: ctx.signal, onProgress: (c) => ctx.progress?.(c.waitingFor) },
    );
    result.wait = waited;
    if (waited.timedOut)
      throw new PendingError(`tenant ${tenant} deleted, but IAM still shows its role after ${Math.round(input.waitMs / 1000)}s`, retryAfterSeconds(waited), { result, pending: ['iam:role-gone'] });
  }
  return result;
}
