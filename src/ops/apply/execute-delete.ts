// An apply's deletes: each tenant's removals through the resource modules (as `tenant delete`),
// the registry row marked deleting first and removed once everything is gone, re-planned after a
// retryable error; then, at --wait iam or above, until IAM no longer shows the role.
import { PendingError } from '../../errors.js';
import type { TenantContext } from '../../tenant/context.js';
import { observeTenant, type ObservedTenant } from '../../tenant/observe.js';
import { planDelete, type Step } from '../../tenant/plan.js';
import { group as groupResource, probeUser, role as roleResource, rule as ruleResource } from '../../tenant/resources/index.js';
import { type RemovalContext, type RemovalOutcome, type RemovalState } from '../../tenant/resources/types.js';
import { retryAfterSeconds, waitFor, type WaitLevel, type WaitResult } from '../../tenant/wait.js';
import { roleGoneCheck } from '../../tenant/delete.js';
import { recordDeletion } from '../../tenant/deleted-ids.js';
import { backoffMs } from '../../aws/retry.js';
import type { TenantPlan } from './plan.js';
import { type RegistrySync } from './registry-sync.js';
import { failure, interruptedOr, REMOVAL_RETRY_MS, retryable, TENANT_ATTEMPTS, toSteps, type ExecuteOptions, type TenantOutcome } from './outcome.js';

export function removalContext(ctx: TenantContext): RemovalContext {
  return { ...ctx, now: () => ctx.now(), sleep: (ms, s) => ctx.sleep(ms, s), deadline: ctx.now() + REMOVAL_RETRY_MS, confirm: false, purpose: ctx.purpose };
}

/** A tenant's removals through the resource modules (the rule went with the batch). */
export async function deleteOne(
  ctx: TenantContext,
  t: TenantPlan,
  opts: ExecuteOptions,
  ruleOutcome: RemovalOutcome | undefined,
  registry: RegistrySync,
): Promise<TenantOutcome> {
  const done: Array<Step & { state: RemovalState; detail?: string | undefined }> = [];
  let observed = t.observed!;
  let steps = t.steps;
  try {
    await recordDeletion(ctx, t.tenant); // the id stays reserved (src/tenant/deleted-ids.ts)
    await registry.deleting(t.tenant);
  } catch (err) {
    return failure(t, interruptedOr(ctx, err), []);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await removeSteps(ctx, steps, observed, ruleOutcome, (s, o) => done.push({ ...s, state: o.state, detail: o.detail }));
      ruleOutcome = undefined;
      break;
    } catch (err) {
      if (ctx.signal?.aborted || attempt >= TENANT_ATTEMPTS || !retryable(err)) return failure(t, err, toSteps(done));
      await ctx.sleep(backoffMs(attempt + 1), ctx.signal).catch(() => undefined);
      try {
        observed = await observeTenant(ctx.apis, ctx.config, t.tenant);
        steps = planDelete(ctx.config, observed);
      } catch (e) {
        if (!retryable(e)) return failure(t, e, toSteps(done));
      }
    }
  }
  const base = { tenant: t.tenant, action: t.action, steps: toSteps(done) };
  if (done.every((d) => d.state === 'removed' || d.state === 'skipped')) {
    try {
      await registry.removed(t.tenant);
    } catch (err) {
      return failure(t, err, base.steps);
    }
  }
  const roleStep = t.steps.find((s) => s.action === 'delete-role');
  if (opts.wait === 'none' || !roleStep) return { ...base, status: 'deleted' };
  let waited: WaitResult;
  try {
    waited = await waitFor([roleGoneCheck(ctx, roleStep.target)], { timeoutMs: opts.timeoutMs, signal: ctx.signal, clock: ctx });
  } catch (err) {
    return failure(t, err, base.steps);
  }
  const wait = {
    level: 'iam' as WaitLevel,
    ok: waited.ok,
    elapsedMs: waited.elapsedMs,
    pending: waited.checks.filter((c) => c.state === 'pending').map((c) => c.name),
  };
  if (waited.timedOut)
    return { ...base, status: 'pending', wait, detail: 'deleted, but IAM still shows its role', retryAfterSeconds: retryAfterSeconds(waited) };
  return { ...base, status: 'deleted', wait };
}

async function removeSteps(
  ctx: TenantContext,
  steps: Step[],
  observed: ObservedTenant,
  ruleOutcome: RemovalOutcome | undefined,
  report: (s: Step, o: RemovalOutcome) => void,
): Promise<void> {
  const rctx = removalContext(ctx);
  const inline = steps.filter((s) => s.action === 'delete-inline-policy');
  for (const step of steps) {
    if (step.action === 'delete-group') {
      const g = observed.mapping.kind === 'group' ? observed.mapping.group : undefined;
      report(step, await groupResource.remove(rctx, { name: step.target, tenant: observed.tenant, observed: g }));
    } else if (step.action === 'delete-probe-user') report(step, await probeUser.remove(rctx, { username: step.target }));
    else if (step.action === 'delete-role') {
      const names = inline.map((s) => s.target.slice(step.target.length + 1));
      const o = await roleResource.remove(rctx, { name: step.target, inlinePolicies: names });
      for (const s of inline)
        report(s, o.removedPolicies.includes(s.target.slice(step.target.length + 1)) ? { state: 'removed' } : { state: 'skipped', detail: 'already gone' });
      report(step, o.state === 'removed' ? { state: 'removed', detail: o.detachedPolicies.length > 0 ? o.detail : undefined } : o);
      if (o.state === 'waiting') throw new PendingError(`delete-role ${step.target}: ${o.detail ?? 'still propagating'}`, 10);
    } else if (step.action === 'remove-rule') {
      // Done by the batch before (removeMany); only a re-plan after a retry writes it alone.
      report(step, ruleOutcome ?? (await ruleResource.remove(rctx, { tenant: observed.tenant })));
    }
  }
}
