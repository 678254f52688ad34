// The apply engine: reconcile the stack to a list of tenants. `isoctl apply`, the bulk forms of
// `tenant create|delete` and the library's `Isoctl.apply` all run this; the commands only parse
// flags, ask for confirmation and render.
//
//   validate (offline: ids, scopes, the isolation proof)  ->  read the fleet once (observe.ts)
//   ->  plan per tenant (plan.ts)  ->  confirm deletions  ->  execute (execute.ts)
import { setMaxListeners } from 'node:events';
import type { MappingMode, StackConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { TenantContext } from '../../tenant/context.js';
import { refuseReusedIds } from '../../tenant/deleted-ids.js';
import type { ObservedTenant } from '../../tenant/observe.js';
import { group as groupResource, probeUser as probeResource, role as roleResource, rule as ruleResource } from '../../tenant/resources/index.js';
import type { WaitLevel } from '../../tenant/wait.js';
import { executePlan, type ApplyProgress, type TenantOutcome, type TenantStatus } from './execute.js';
import { observeTenants, scanFleet } from './observe.js';
import { countActions, planApply, proveFleet, type ApplyPlan, type PlanAction, type TenantPlan } from './plan.js';
import { assertSpecFitsConfig, validateSpec, type TenantsSpec } from './spec.js';

export { ARGUMENTS, parseSpecText, readSpecFile, specFromIds, validateSpec, type TenantSpec, type TenantsSpec } from './spec.js';
export { assertSpecFitsConfig };
export { TENANT_STATUSES, type ApplyProgress, type TenantOutcome, type TenantStatus } from './execute.js';
export { PLAN_ACTIONS, type PlanAction } from './plan.js';

/**
 * Concurrency when none is given, from bench/apply.bench.ts's sweep (200 new tenants on the
 * sandbox): 33.6 tenants/s at 4, 36.4 at 8, 36.4 at 16, 36.2 at 32. Past 8 nothing is gained (the
 * endpoint is the bottleneck) while IAM's write throttling on AWS is met sooner; hence 8.
 */
export const DEFAULT_CONCURRENCY = 8;
export const MAX_CONCURRENCY = 64;

export interface ApplyOptions {
  /** Delete the stack's tenants the spec does not name. */
  prune?: boolean | undefined;
  /** Tenants to delete by name (bulk `tenant delete`); the spec's tenants are then usually empty. */
  remove?: string[] | undefined;
  /** With `remove`: a tenant that does not exist is fine (unchanged) instead of failed. */
  ignoreMissing?: boolean | undefined;
  dryRun?: boolean | undefined;
  concurrency?: number | undefined;
  wait?: WaitLevel | undefined;
  timeoutMs?: number | undefined;
  /** Called after planning, before the first change, when the plan deletes tenants (typed confirmation or --yes). */
  confirmDeletes?: ((tenants: string[]) => Promise<void>) | undefined;
  /** Called once per finished tenant. */
  onProgress?: ((e: ApplyProgress) => void) | undefined;
  /** Called once the plan is known (the command starts its progress bar with the total). */
  onPlan?: ((plan: PlannedApply) => void) | undefined;
  /** Where the spec came from, for messages. */
  source?: string | undefined;
}

export interface PlannedTenant {
  tenant: string;
  action: PlanAction;
  scopes?: string[] | undefined;
  steps: Array<{ action: string; service: string; target: string; reason: string }>;
  reason?: string | undefined;
  code?: string | undefined;
}

export interface PlannedApply {
  stack: string;
  mapping: MappingMode;
  dryRun: true;
  prune: boolean;
  counts: Record<PlanAction, number>;
  tenants: PlannedTenant[];
}

export interface ApplyResult {
  stack: string;
  mapping: MappingMode;
  dryRun: false;
  prune: boolean;
  wait: WaitLevel;
  concurrency: number;
  /** What the plan was, per action. */
  planned: Record<PlanAction, number>;
  counts: Record<TenantStatus, number>;
  tenants: TenantOutcome[];
  interrupted: boolean;
  /** Identity-pool role-configuration writes this apply made (rules mode batches them). */
  poolWrites: number;
  elapsedMs: number;
}

export function boundedConcurrency(n: number | undefined): number {
  if (n === undefined) return DEFAULT_CONCURRENCY;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY)
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got ${n})`, 'bad_flag');
  return n;
}

function planned(plan: ApplyPlan): PlannedApply {
  return {
    stack: plan.stack,
    mapping: plan.mapping,
    dryRun: true,
    prune: plan.prune,
    counts: plan.counts,
    tenants: plan.tenants.map((t: TenantPlan) => ({
      tenant: t.tenant,
      action: t.action,
      ...(t.scopes ? { scopes: t.scopes } : {}),
      steps: t.steps.map((s) => ({ action: s.action, service: s.service, target: s.target, reason: s.reason })),
      ...(t.reason ? { reason: t.reason, code: t.code } : {}),
    })),
  };
}

/**
 * Reconciles the stack to `spec`. Bad input throws UsageError before any AWS call. Returns the
 * plan with `dryRun`, else the per-tenant outcome; it does not throw for tenants that failed or
 * are pending (the caller maps the counts to an exit code: see `exitKindOf`).
 */
export async function applyTenants(ctx: TenantContext, spec: TenantsSpec, opts: ApplyOptions = {}): Promise<PlannedApply | ApplyResult> {
  const { config } = ctx;
  const started = ctx.now();
  const concurrency = boundedConcurrency(opts.concurrency);
  raiseListenerLimit(ctx.signal, concurrency);
  const wait = opts.wait ?? 'cognito';
  const timeoutMs = opts.timeoutMs ?? 90_000;
  // Checked here too, for callers that hand an object (the library): ids, duplicates, fields.
  spec = validateSpec(spec, opts.source ?? 'spec');
  assertSpecFitsConfig(config, spec, opts.source ?? 'spec');
  const removeNamed = validateSpec({ tenants: [...new Set(opts.remove ?? [])].map((id) => ({ id })) }, opts.source ?? 'spec').tenants.map((t) => t.id);
  for (const t of removeNamed)
    if (spec.tenants.some((s) => s.id === t)) throw new UsageError(`tenant ${JSON.stringify(t)} is both to apply and to delete`, 'spec_invalid');
  proveFleet(config, spec.tenants);
  if (config.mapping === 'abac') return applyAbac(ctx, spec, removeNamed, opts, { started, concurrency, wait, timeoutMs });

  const view = await scanFleet(ctx);
  const named = new Set(spec.tenants.map((t) => t.id));
  const remove = opts.prune ? [...view.existing].filter((t) => !named.has(t)).sort() : removeNamed.filter((t) => view.existing.has(t));
  const missing = removeNamed.filter((t) => !view.existing.has(t));
  ctx.progress?.(`reading ${spec.tenants.filter((t) => view.existing.has(t.id)).length + remove.length} existing tenant(s)`);
  const observed = await observeTenants(ctx, view, [...spec.tenants.map((t) => t.id), ...remove], concurrency);
  // --prune: a name-alike the file does not name, none of whose pieces is isoctl's (a role at the
  // stack path without its tags), is no tenant of the stack: left alone and not reported, where
  // a tenant named for deletion would be refused.
  const pruned = opts.prune ? remove.filter((t) => hasOwnedPiece(config, observed.get(t))) : remove;
  const plan = planApply(config, { tenants: spec.tenants, remove: pruned, prune: opts.prune === true }, observed);
  for (const t of missing)
    plan.tenants.push(
      opts.ignoreMissing
        ? { tenant: t, action: 'unchanged', steps: [], reason: 'does not exist' }
        : { tenant: t, action: 'refused', steps: [], reason: `tenant ${JSON.stringify(t)} does not exist in stack ${config.stack}`, code: 'tenant_not_found' },
    );
  // A deleted tenant's id is not given to a new tenant too soon (src/tenant/deleted-ids.ts).
  await refuseReusedIds(ctx, plan.tenants);
  plan.counts = countActions(plan.tenants);
  if (opts.dryRun) return planned(plan);

  const deletes = plan.tenants.filter((t) => t.action === 'delete').map((t) => t.tenant);
  if (deletes.length > 0) await opts.confirmDeletes?.(deletes);
  ctx.progress?.(`applying ${plan.tenants.length} tenant(s)`);
  // After the last progress message: a command's progress bar takes over the line from here.
  opts.onPlan?.(planned(plan));
  const result = await executePlan(ctx, plan, { concurrency, wait, timeoutMs, onProgress: opts.onProgress });
  return {
    stack: config.stack,
    mapping: config.mapping,
    dryRun: false,
    prune: opts.prune === true,
    wait,
    concurrency,
    planned: plan.counts,
    counts: result.counts,
    tenants: result.tenants,
    interrupted: result.interrupted,
    poolWrites: result.poolWrites,
    elapsedMs: Math.round(ctx.now() - started),
  };
}

/** ABAC mode: each tenant's ABAC create or delete (src/ops/apply/abac.ts); same options, plan, confirmation and result. */
async function applyAbac(
  ctx: TenantContext,
  spec: TenantsSpec,
  removeNamed: string[],
  opts: ApplyOptions,
  run: { started: number; concurrency: number; wait: WaitLevel; timeoutMs: number },
): Promise<PlannedApply | ApplyResult> {
  const { planAbacApply, executeAbacPlan } = await import('./abac.js');
  ctx.progress?.(`reading ${spec.tenants.length + removeNamed.length} tenant(s)`);
  const plan = await planAbacApply(
    ctx,
    { tenants: spec.tenants, remove: removeNamed, prune: opts.prune === true, ignoreMissing: opts.ignoreMissing === true },
    run.concurrency,
  );
  // As in role mode: a deleted tenant's id is not given to a new tenant too soon (src/tenant/deleted-ids.ts);
  // the ABAC creates of apply do not go through createTenant, which checks it for `tenant create`.
  await refuseReusedIds(ctx, plan.tenants);
  plan.counts = countActions(plan.tenants);
  if (opts.dryRun) return planned(plan);
  const deletes = plan.tenants.filter((t) => t.action === 'delete').map((t) => t.tenant);
  if (deletes.length > 0) await opts.confirmDeletes?.(deletes);
  ctx.progress?.(`applying ${plan.tenants.length} tenant(s)`);
  opts.onPlan?.(planned(plan));
  const total = plan.tenants.length;
  let failed = 0;
  let pending = 0;
  const result = await executeAbacPlan(ctx, plan, {
    concurrency: run.concurrency,
    wait: run.wait,
    timeoutMs: run.timeoutMs,
    onProgress: (o, done) => {
      if (o.status === 'failed') failed++;
      if (o.status === 'pending') pending++;
      opts.onProgress?.({ tenant: o.tenant, status: o.status, detail: o.detail, done, total, failed, pending });
    },
  });
  return {
    stack: ctx.config.stack,
    mapping: ctx.config.mapping,
    dryRun: false,
    prune: opts.prune === true,
    wait: run.wait,
    concurrency: run.concurrency,
    planned: plan.counts,
    counts: result.counts,
    tenants: result.tenants,
    interrupted: result.interrupted,
    poolWrites: 0,
    elapsedMs: Math.round(ctx.now() - run.started),
  };
}

function hasOwnedPiece(config: StackConfig, o: ObservedTenant | undefined): boolean {
  if (!o) return false;
  if (o.role && roleResource.owned(config, o.role, o.tenant).owned) return true;
  if (o.mapping.kind === 'group' && o.mapping.group && groupResource.owned(config, o.mapping.group, o.tenant).owned) return true;
  if (o.mapping.kind === 'rule') {
    const r = ruleResource.findTenantRule(o.mapping.rules, config.tenantClaim, o.tenant);
    if (r && ruleResource.owned(config, r, o.tenant).owned) return true;
  }
  return o.probe.user !== undefined && probeResource.owned(config, o.probe.user, o.tenant).owned;
}

/** Every tenant in flight listens on the one abort signal (its sleeps and requests): not a leak. */
export function raiseListenerLimit(signal: AbortSignal | undefined, concurrency: number): void {
  if (signal) setMaxListeners(Math.max(10, concurrency * 8), signal);
}

/** The exit of an apply: ok (0), failed (1) when any tenant failed, pending (75) when some are pending and none failed, interrupted (130). */
export function exitKindOf(r: ApplyResult): 'ok' | 'failed' | 'pending' | 'interrupted' {
  if (r.interrupted) return 'interrupted';
  if (r.counts.failed > 0) return 'failed';
  if (r.counts.pending > 0) return 'pending';
  return 'ok';
}

export type { StackConfig };
