// `apply` in ABAC mode (issue 12). An ABAC tenant owns no IAM object: it is its registry row, its
// silo tables and its probe user, so the plan and the work are `tenant create` and `tenant delete`
// of ABAC mode per tenant (src/tenant/abac-create.ts, src/tenant/delete.ts), with bounded
// concurrency: creates make zero IAM calls that change anything; deletes tombstone the tenant on
// the scope roles (under the stack's lock) and disable its users first. The plan (abac-plan.ts)
// reads the fleet once; a tenant already as the file says (registered with its scopes, probe user
// and tables in place) is unchanged and not touched again, so a re-run makes zero mutating calls.
//
// A create carries out its plan's steps as planned: its registry row is written on the version the
// plan's Scan read (a conditional put; a lost race re-reads and decides again), and its probe user
// is not read again before the sign-in. A create whose work hits a retryable error (throttling
// beyond the SDK's and the retry layer's attempts, a conflict, not yet visible) is read again and
// re-planned, a few times, as role mode does (execute.ts createOne); Ctrl-C stops taking tenants.
import { backoffMs } from '../../aws/retry.js';
import { observeAbacTenant, planAbacSteps, waitAbacTenant } from '../../tenant/abac-create.js';
import { applySteps, type StepReport } from '../../tenant/apply.js';
import type { TenantContext } from '../../tenant/context.js';
import { deleteTenant } from '../../tenant/delete.js';
import { desiredTenant } from '../../tenant/desired.js';
import { registerTenant, type KnownRow } from '../../tenant/registry.js';
import type { WaitLevel, WaitResult } from '../../tenant/wait.js';
import { mapLimit } from '../concurrency.js';
import { countStatuses, type ExecuteResult, type TenantOutcome, type TenantStatus } from './execute.js';
import { failure, interruptedOr, retryable, TENANT_ATTEMPTS, toSteps, waitedOutcome, withPending } from './outcome.js';
import type { ApplyPlan, TenantPlan } from './plan.js';
import type { AbacApplyPlan } from './abac-plan.js';

export { planAbacApply, type AbacApplyPlan, type AbacPlanInput } from './abac-plan.js';

interface ExecuteAbacOptions {
  concurrency: number;
  wait: WaitLevel;
  timeoutMs: number;
  onProgress?: ((o: TenantOutcome, done: number) => void) | undefined;
}

export async function executeAbacPlan(ctx: TenantContext, plan: AbacApplyPlan, opts: ExecuteAbacOptions): Promise<ExecuteResult> {
  const quiet: TenantContext = { ...ctx, progress: undefined };
  const outcomes = new Map<string, TenantOutcome>();
  const finish = (o: TenantOutcome) => {
    outcomes.set(o.tenant, o);
    opts.onProgress?.(o, outcomes.size);
  };
  const aborted = () => ctx.signal?.aborted === true;
  // A wait that Ctrl-C cut short (a sign-in aborted mid-way fails its check) is pending, not failed.
  const cutShort = (o: TenantOutcome): TenantOutcome =>
    aborted() && o.status === 'failed' ? { ...o, status: 'pending', detail: 'interrupted; run again to finish', code: undefined, retryAfterSeconds: 0 } : o;
  const work: TenantPlan[] = [];
  for (const t of plan.tenants) {
    if (t.action === 'refused') finish({ tenant: t.tenant, status: 'failed', action: t.action, scopes: t.scopes, steps: [], detail: t.reason, code: t.code });
    else if (t.action === 'unchanged' && (opts.wait !== 'data' || !t.desired))
      finish({ tenant: t.tenant, status: 'unchanged', action: t.action, scopes: t.scopes, steps: [] });
    else work.push(t);
  }
  await mapLimit(work, opts.concurrency, async (t) => {
    if (aborted()) return;
    if (t.action === 'delete') {
      try {
        const r = await deleteTenant(quiet, { tenant: t.tenant, dryRun: false, ignoreMissing: true });
        const steps = r.items.map((i) => ({ action: i.action, service: i.service, target: i.target, reason: i.reason, state: i.state, detail: i.detail }));
        return finish({ tenant: t.tenant, status: 'deleted', action: t.action, steps });
      } catch (err) {
        return finish(failure(t, interruptedOr(ctx, err), []));
      }
    }
    finish(cutShort(await createOne(quiet, t, { row: plan.registry.get(t.tenant) }, opts)));
  });
  const interrupted = aborted();
  const tenants = withPending(plan as ApplyPlan, outcomes, interrupted);
  return { tenants, counts: countStatuses(tenants), interrupted, poolWrites: 0 };
}

function statusOf(t: TenantPlan, reports: StepReport[]): TenantStatus {
  if (t.action === 'create') return 'created';
  return reports.length > 0 || t.action === 'update' ? 'updated' : 'unchanged';
}

/** Registers the tenant and makes its pieces; after a retryable error it is read again and re-planned. Then the wait. */
async function createOne(ctx: TenantContext, t: TenantPlan, known: KnownRow, opts: ExecuteAbacOptions): Promise<TenantOutcome> {
  const scopes = t.scopes ?? [];
  const desired = t.desired ?? desiredTenant(ctx.config, t.tenant, scopes);
  const reports: StepReport[] = [];
  let steps = t.steps;
  let registered = false;
  let row: KnownRow | undefined = known;
  for (let attempt = 1; ; attempt++) {
    try {
      // Registered before the AWS changes, as tenant create does; no write when the row is as wanted.
      if (!registered) await registerTenant(ctx, t.tenant, desired.scopes, row);
      registered = true;
      await applySteps(ctx, steps, desired, t.tenant, (r) => reports.push(r));
      break;
    } catch (err) {
      const e = interruptedOr(ctx, err);
      if (ctx.signal?.aborted || attempt >= TENANT_ATTEMPTS || !retryable(e)) return failure(t, e, toSteps(reports), desired.scopes);
      await ctx.sleep(backoffMs(attempt + 1), ctx.signal).catch(() => undefined);
      // What the scan showed may be stale now: the row is read again on the next try.
      row = undefined;
      try {
        steps = planAbacSteps(ctx.config, desired, await observeAbacTenant(ctx.apis, ctx.config, t.tenant));
      } catch (again) {
        if (!retryable(again)) return failure(t, interruptedOr(ctx, again), toSteps(reports), desired.scopes);
      }
    }
  }
  const base = { tenant: t.tenant, action: t.action, scopes: desired.scopes, steps: toSteps(reports) };
  if (opts.wait === 'none' || opts.wait === 'iam') return { ...base, status: statusOf(t, reports) };
  let waited: WaitResult;
  try {
    waited = await waitAbacTenant(ctx, desired, opts.wait, opts.timeoutMs);
  } catch (err) {
    return failure(t, interruptedOr(ctx, err), base.steps, desired.scopes);
  }
  return waitedOutcome(base, waited, opts.wait, opts.timeoutMs, statusOf(t, reports));
}
