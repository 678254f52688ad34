// Carries out an apply plan over many tenants with bounded concurrency. Per tenant: its steps
// (src/tenant/apply.ts, the same code `tenant create` runs), then the wait of the chosen level;
// deletes go through the resource modules' removals, as `tenant delete` does. In rules mode the
// rules of all tenants are written together: one read-modify-write for the removals, one for the
// additions. A tenant whose work hits a retryable error is read again and re-planned (a re-run
// of that tenant in small), a few times; a tenant that still fails is reported failed and the
// others go on. Ctrl-C stops taking tenants, and what was done is reported.
import type { StackConfig } from '../../config/schema.js';
import { IsoctlError } from '../../errors.js';
import { applySteps, type StepReport } from '../../tenant/apply.js';
import type { TenantContext } from '../../tenant/context.js';
import { convergenceChecks } from '../../tenant/create.js';
import { desiredTenant, type DesiredTenant } from '../../tenant/desired.js';
import { tenantGroupName } from '../../tenant/names.js';
import { observeTenant } from '../../tenant/observe.js';
import { planCreate } from '../../tenant/plan.js';
import { rule as ruleResource } from '../../tenant/resources/index.js';
import { describeError, type RemovalOutcome } from '../../tenant/resources/types.js';
import { NotYet, waitFor, type Check, type WaitLevel, type WaitResult } from '../../tenant/wait.js';
import { backoffMs } from '../../aws/retry.js';
import type { ApplyPlan, TenantPlan } from './plan.js';
import { registrySync, type RegistrySync } from './registry-sync.js';
import { putRulesBatch } from './rules.js';
import { deleteOne, removalContext } from './execute-delete.js';
import {
  countStatuses,
  failure,
  interruptedOr,
  withPending,
  waitedOutcome,
  retryable,
  TENANT_ATTEMPTS,
  toSteps,
  type ExecuteOptions,
  type ExecuteResult,
  type TenantOutcome,
  type TenantStatus,
} from './outcome.js';

export {
  countStatuses,
  TENANT_STATUSES,
  type AppliedStep,
  type ApplyProgress,
  type ExecuteOptions,
  type ExecuteResult,
  type TenantOutcome,
  type TenantStatus,
} from './outcome.js';

export async function executePlan(ctx: TenantContext, plan: ApplyPlan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { config } = ctx;
  const quiet: TenantContext = { ...ctx, progress: undefined };
  const outcomes = new Map<string, TenantOutcome>();
  const total = plan.tenants.length;
  let poolWrites = 0;
  const finish = (o: TenantOutcome) => {
    outcomes.set(o.tenant, o);
    const all = [...outcomes.values()];
    opts.onProgress?.({
      tenant: o.tenant,
      status: o.status,
      detail: o.detail,
      done: all.length,
      total,
      failed: all.filter((x) => x.status === 'failed').length,
      pending: all.filter((x) => x.status === 'pending').length,
    });
  };
  const aborted = () => ctx.signal?.aborted === true;
  // A wait that Ctrl-C cut short (a sign-in aborted mid-way fails its check) is pending, not failed.
  const cutShort = (o: TenantOutcome): TenantOutcome =>
    aborted() && o.status === 'failed' ? { ...o, status: 'pending', detail: 'interrupted; run again to finish', code: undefined, retryAfterSeconds: 0 } : o;

  // Refused tenants fail at once; unchanged ones are converged by the reads just made, up to
  // the cognito level (the same reads the wait would make).
  // The registry: one scan; a row written only where it is missing or differs.
  const registry = await registrySync(quiet);
  const work: TenantPlan[] = [];
  const registerOnly: TenantPlan[] = [];
  for (const t of plan.tenants) {
    if (t.action === 'refused') finish({ tenant: t.tenant, status: 'failed', action: t.action, scopes: t.scopes, steps: [], detail: t.reason, code: t.code });
    else if (t.action === 'unchanged' && (opts.wait !== 'data' || !t.desired)) {
      if (registry.needs(t)) registerOnly.push(t);
      else finish({ tenant: t.tenant, status: 'unchanged', action: t.action, scopes: t.scopes, steps: [] });
    } else work.push(t);
  }
  // Converged in AWS but not (or not so) in the registry (a tenant made before the registry
  // existed, or its scopes changed by hand in the registry): the row is written, nothing else.
  await forEachLimit(registerOnly, opts.concurrency, aborted, async (t) => {
    try {
      await registry.ensure(t);
      finish({ tenant: t.tenant, status: 'unchanged', action: t.action, scopes: t.scopes, steps: [] });
    } catch (err) {
      finish(failure(t, err, [], t.scopes));
    }
  });

  // Rules mode, removals first: the rules of every tenant to delete go in one write, so no rule
  // points at a role about to be deleted.
  const deletes = work.filter((t) => t.action === 'delete');
  const ruleRemovalFailed = new Map<string, string>();
  const ruleRemoved = new Map<string, RemovalOutcome>();
  if (config.mapping === 'rules' && deletes.some((t) => t.steps.some((s) => s.action === 'remove-rule')) && !aborted()) {
    const rctx = removalContext(quiet);
    const items = deletes.filter((t) => t.steps.some((s) => s.action === 'remove-rule')).map((t) => ({ tenant: t.tenant }));
    try {
      const res = await ruleResource.removeMany(rctx, items);
      if ([...res.values()].some((o) => o.state === 'removed')) poolWrites++;
      for (const [i, o] of res) ruleRemoved.set(i.tenant, o);
    } catch (err) {
      if (aborted()) throw err;
      for (const i of items) ruleRemovalFailed.set(i.tenant, describeError(err));
    }
  }

  // Phase A: each tenant's own steps (rules mode: all but its rule), with bounded concurrency.
  const afterSteps = new Map<string, { plan: TenantPlan; desired: DesiredTenant; reports: StepReport[] }>();
  await forEachLimit(work, opts.concurrency, aborted, async (t) => {
    if (t.action === 'delete') {
      if (ruleRemovalFailed.has(t.tenant))
        return finish({ tenant: t.tenant, status: 'failed', action: t.action, steps: [], detail: `removing its rule: ${ruleRemovalFailed.get(t.tenant)}` });
      return finish(await deleteOne(quiet, t, opts, ruleRemoved.get(t.tenant), registry));
    }
    const r = await createOne(quiet, t, config.mapping === 'rules', registry);
    if ('outcome' in r) return finish(r.outcome);
    if (config.mapping === 'rules') afterSteps.set(t.tenant, { plan: t, desired: r.desired, reports: r.reports });
    else finish(cutShort(await waitOne(quiet, t, r.desired, r.reports, opts)));
  });

  // Rules mode: every tenant's rule in one read-modify-write, then the waits.
  if (config.mapping === 'rules' && afterSteps.size > 0 && !aborted()) {
    const needRule = [...afterSteps.values()].filter((a) => a.plan.steps.some((s) => s.action === 'put-rule'));
    if (needRule.length > 0) {
      try {
        const { outcome, wrote } = await putRulesBatch(
          quiet,
          needRule.map((a) => ({ tenant: a.plan.tenant, roleArn: a.desired.role.arn })),
        );
        if (wrote) poolWrites++;
        for (const a of needRule) {
          const err = outcome.get(a.plan.tenant);
          if (err) {
            afterSteps.delete(a.plan.tenant);
            finish({
              tenant: a.plan.tenant,
              status: 'failed',
              action: a.plan.action,
              scopes: a.desired.scopes,
              steps: toSteps(a.reports),
              detail: err.message,
              code: (err as IsoctlError).code,
            });
          } else {
            const step = a.plan.steps.find((s) => s.action === 'put-rule')!;
            a.reports.push({ ...step, state: 'done', detail: wrote ? undefined : 'already as wanted' });
          }
        }
      } catch (err) {
        if (aborted()) throw err;
        const pending = retryable(err);
        for (const a of needRule) {
          afterSteps.delete(a.plan.tenant);
          finish({
            tenant: a.plan.tenant,
            status: pending ? 'pending' : 'failed',
            action: a.plan.action,
            scopes: a.desired.scopes,
            steps: toSteps(a.reports),
            detail: `writing the identity pool's rules: ${describeError(err)}`,
            retryAfterSeconds: pending ? 10 : undefined,
          });
        }
      }
    }
    await forEachLimit([...afterSteps.values()], opts.concurrency, aborted, async (a) =>
      finish(cutShort(await waitOne(quiet, a.plan, a.desired, a.reports, opts))),
    );
  }

  // Interrupted: tenants not finished are pending (a re-run finishes them).
  const interrupted = aborted();
  const tenants = withPending(plan, outcomes, interrupted);
  return { tenants, counts: countStatuses(tenants), interrupted, poolWrites };
}

/** Runs `fn` over `items`, at most `limit` at once, taking no new item once `stop()` says so. */
async function forEachLimit<T>(items: readonly T[], limit: number, stop: () => boolean, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (!stop()) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** A tenant's steps; after a retryable error the tenant is read again and re-planned. */
async function createOne(
  ctx: TenantContext,
  t: TenantPlan,
  rulesMode: boolean,
  registry: RegistrySync,
): Promise<{ desired: DesiredTenant; reports: StepReport[] } | { outcome: TenantOutcome }> {
  const desired = t.desired!;
  const reports: StepReport[] = [];
  // Registered before the AWS changes, as tenant create does.
  try {
    await registry.ensure(t);
  } catch (err) {
    return { outcome: failure(t, interruptedOr(ctx, err), [], desired.scopes) };
  }
  let steps = t.steps;
  for (let attempt = 1; ; attempt++) {
    try {
      const own = rulesMode ? steps.filter((s) => s.action !== 'put-rule') : steps;
      await applySteps(ctx, own, desired, t.tenant, (r) => reports.push(r));
      if (rulesMode) {
        // The rule is written with the batch; carry over whether this tenant still needs it.
        const rule = steps.find((s) => s.action === 'put-rule');
        t.steps = rule ? [...t.steps.filter((s) => s.action !== 'put-rule'), rule] : t.steps.filter((s) => s.action !== 'put-rule');
      }
      return { desired, reports };
    } catch (err) {
      if (ctx.signal?.aborted || attempt >= TENANT_ATTEMPTS || !retryable(err)) return { outcome: failure(t, err, toSteps(reports), desired.scopes) };
      await ctx.sleep(backoffMs(attempt + 1), ctx.signal).catch(() => undefined);
      try {
        const again = await observeTenant(ctx.apis, ctx.config, t.tenant);
        steps = planCreate(ctx.config, desiredTenant(ctx.config, t.tenant, desired.scopes), again);
      } catch (e) {
        if (!retryable(e)) return { outcome: failure(t, e, toSteps(reports), desired.scopes) };
      }
    }
  }
}

function statusOfCreate(t: TenantPlan, reports: StepReport[]): TenantStatus {
  if (t.action === 'create') return 'created';
  return reports.length > 0 || t.action === 'update' ? 'updated' : 'unchanged';
}

/** The wait of the chosen level; in token mode the pool's Token mapping was checked once for all. */
async function waitOne(ctx: TenantContext, t: TenantPlan, desired: DesiredTenant, reports: StepReport[], opts: ExecuteOptions): Promise<TenantOutcome> {
  const base = { tenant: t.tenant, action: t.action, scopes: desired.scopes, steps: toSteps(reports) };
  if (opts.wait === 'none') return { ...base, status: statusOfCreate(t, reports) };
  let waited: WaitResult;
  try {
    waited = await waitFor(checksFor(ctx, desired, opts.wait, reports.length > 0), { timeoutMs: opts.timeoutMs, signal: ctx.signal, clock: ctx });
  } catch (err) {
    return failure(t, err, base.steps, desired.scopes);
  }
  return waitedOutcome(base, waited, opts.wait, opts.timeoutMs, statusOfCreate(t, reports));
}

function checksFor(ctx: TenantContext, desired: DesiredTenant, level: WaitLevel, changed: boolean): Check[] {
  const checks = convergenceChecks(ctx, desired, level, { changed });
  if (ctx.config.mapping !== 'token') return checks;
  // The shared scan already saw the pool's Token mapping; per tenant only its group is read.
  return checks.map((c) =>
    c.name !== 'cognito:group'
      ? c
      : {
          ...c,
          run: async () => {
            const g = await ctx.apis.cognitoIdp.getGroup(ctx.config.userPoolId, tenantGroupName(desired.tenant));
            if (!g) throw new NotYet('group not visible yet');
            if (g.roleArn !== desired.role.arn) throw new NotYet(`group maps to ${g.roleArn ?? 'no role'} yet`);
            return desired.role.arn;
          },
        },
  );
}

export type { StackConfig };
