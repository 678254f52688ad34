// `apply` in ABAC mode (issue 12). An ABAC tenant owns no IAM object: it is its registry row, its
// silo tables and its probe user, so the plan and the work are `tenant create` and `tenant delete`
// of ABAC mode per tenant (src/tenant/abac-create.ts, src/tenant/delete.ts), with bounded
// concurrency: creates make zero IAM calls that change anything; deletes tombstone the tenant on
// the scope roles (under the stack's lock) and disable its users first. The plan is each tenant's
// dry run; a tenant already as the file says (registered with its scopes, probe user and tables in
// place) is unchanged and not touched again, so a re-run makes zero mutating calls. --prune deletes
// the registry's tenants the file does not name.
import { InterruptedError, IsoctlError, PendingError } from '../../errors.js';
import { PolicyError } from '../../policy/errors.js';
import type { TenantContext } from '../../tenant/context.js';
import { createTenant } from '../../tenant/create.js';
import { deleteTenant } from '../../tenant/delete.js';
import { resolveScopes } from '../../tenant/desired.js';
import { listRegistry, type RegistryRow } from '../../tenant/registry.js';
import { describeError } from '../../tenant/resources/types.js';
import type { WaitLevel } from '../../tenant/wait.js';
import { mapLimit } from '../concurrency.js';
import { countStatuses, type ExecuteResult, type TenantOutcome } from './execute.js';
import { withPending } from './outcome.js';
import { countActions, type ApplyPlan, type TenantPlan } from './plan.js';
import type { TenantSpec } from './spec.js';

export interface AbacPlanInput {
  tenants: TenantSpec[];
  /** Tenants named for deletion (bulk delete); with prune, the registry's tenants the file does not name. */
  remove: string[];
  prune: boolean;
  ignoreMissing: boolean;
}

function refused(tenant: string, err: unknown, scopes?: string[]): TenantPlan {
  if (err instanceof IsoctlError || err instanceof PolicyError) return { tenant, action: 'refused', scopes, steps: [], reason: err.message, code: err.code };
  throw err;
}

/** Each tenant's dry run against the registry (one scan) and what AWS shows. */
export async function planAbacApply(ctx: TenantContext, input: AbacPlanInput, concurrency: number): Promise<ApplyPlan> {
  const { config } = ctx;
  const rows = new Map<string, RegistryRow>((await listRegistry(ctx)).rows.map((r) => [r.tenant, r]));
  const named = new Set(input.tenants.map((t) => t.id));
  const remove = input.prune ? [...rows.keys()].filter((t) => !named.has(t)).sort() : input.remove;
  const plans = new Map<string, TenantPlan>();
  await mapLimit(input.tenants, concurrency, async (t) => {
    const row = rows.get(t.id);
    const scopes = t.scopes ?? (row?.scopes.length ? row.scopes : resolveScopes(config, undefined));
    try {
      const dry = await createTenant(ctx, { tenant: t.id, scopes, wait: 'none', timeoutMs: 0, dryRun: true });
      const steps = dry.steps.map((s) => ({ action: s.action, service: s.service, target: s.target, reason: s.reason, details: s.details }));
      const registered = row !== undefined && row.status !== 'deleting' && row.scopes.join('+') === scopes.join('+') && row.mode === config.mapping;
      const fresh = steps.some((s) => s.action === 'create-probe-user');
      const action = steps.length === 0 && registered ? 'unchanged' : fresh && !row ? 'create' : 'update';
      plans.set(t.id, { tenant: t.id, action, scopes, steps, ...(registered ? {} : { reason: row ? 'registry row differs' : 'not registered' }) });
    } catch (err) {
      plans.set(t.id, refused(t.id, err, scopes));
    }
  });
  await mapLimit(remove, concurrency, async (t) => {
    try {
      const dry = await deleteTenant(ctx, { tenant: t, dryRun: true, ignoreMissing: true });
      if (dry.status === 'absent' && !rows.has(t))
        plans.set(
          t,
          input.ignoreMissing
            ? { tenant: t, action: 'unchanged', steps: [], reason: 'does not exist' }
            : {
                tenant: t,
                action: 'refused',
                steps: [],
                reason: `tenant ${JSON.stringify(t)} does not exist in stack ${config.stack}`,
                code: 'tenant_not_found',
              },
        );
      else
        plans.set(t, {
          tenant: t,
          action: 'delete',
          steps: [
            { action: 'tombstone', service: 'iam', target: t, reason: 'deny the deleted tenant on every scope role' },
            ...dry.items.map((i) => ({ action: i.action, service: i.service, target: i.target, reason: i.reason })),
          ] as TenantPlan['steps'],
        });
    } catch (err) {
      plans.set(t, refused(t, err));
    }
  });
  const tenants = [...input.tenants.map((t) => t.id), ...remove].map((t) => plans.get(t)!);
  return { stack: config.stack, mapping: config.mapping, prune: input.prune, tenants, counts: countActions(tenants) };
}

function failure(t: TenantPlan, err: unknown): TenantOutcome {
  const base = { tenant: t.tenant, action: t.action, scopes: t.scopes, steps: [] };
  if (err instanceof InterruptedError || (err as Error)?.name === 'AbortError')
    return { ...base, status: 'pending', detail: 'interrupted; run again to finish', retryAfterSeconds: 0 };
  if (err instanceof PendingError) return { ...base, status: 'pending', detail: err.message, retryAfterSeconds: err.retryAfterSeconds };
  return { ...base, status: 'failed', detail: describeError(err), code: err instanceof IsoctlError || err instanceof PolicyError ? err.code : undefined };
}

export async function executeAbacPlan(
  ctx: TenantContext,
  plan: ApplyPlan,
  opts: { concurrency: number; wait: WaitLevel; timeoutMs: number; onProgress?: ((o: TenantOutcome, done: number) => void) | undefined },
): Promise<ExecuteResult> {
  const quiet: TenantContext = { ...ctx, progress: undefined };
  const outcomes = new Map<string, TenantOutcome>();
  const finish = (o: TenantOutcome) => {
    outcomes.set(o.tenant, o);
    opts.onProgress?.(o, outcomes.size);
  };
  const aborted = () => ctx.signal?.aborted === true;
  const work: TenantPlan[] = [];
  for (const t of plan.tenants) {
    if (t.action === 'refused') finish({ tenant: t.tenant, status: 'failed', action: t.action, scopes: t.scopes, steps: [], detail: t.reason, code: t.code });
    else if (t.action === 'unchanged' && opts.wait !== 'data') finish({ tenant: t.tenant, status: 'unchanged', action: t.action, scopes: t.scopes, steps: [] });
    else work.push(t);
  }
  await mapLimit(work, opts.concurrency, async (t) => {
    if (aborted()) return;
    try {
      if (t.action === 'delete') {
        const r = await deleteTenant(quiet, { tenant: t.tenant, dryRun: false, ignoreMissing: true });
        const steps = r.items.map((i) => ({ action: i.action, service: i.service, target: i.target, reason: i.reason, state: i.state, detail: i.detail }));
        return finish({ tenant: t.tenant, status: 'deleted', action: t.action, steps });
      }
      const r = await createTenant(quiet, { tenant: t.tenant, scopes: t.scopes, wait: opts.wait, timeoutMs: opts.timeoutMs, dryRun: false });
      const status = t.action === 'create' ? 'created' : r.status === 'unchanged' && t.action === 'unchanged' ? 'unchanged' : 'updated';
      const steps = r.steps.map((s) => ({ action: s.action, service: s.service, target: s.target, reason: s.reason, state: s.state, detail: s.detail }));
      finish({ tenant: t.tenant, status, action: t.action, scopes: r.scopes, steps });
    } catch (err) {
      finish(failure(t, err));
    }
  });
  const interrupted = aborted();
  const tenants = withPending(plan, outcomes, interrupted);
  return { tenants, counts: countStatuses(tenants), interrupted, poolWrites: 0 };
}
