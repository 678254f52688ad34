// What an apply reports per tenant (created, updated, unchanged, deleted, failed, pending), and
// how an error of a tenant's work becomes its outcome; shared by the create, delete and ABAC paths.
import { AwsCallError } from '../../aws/errors.js';
import { InterruptedError, IsoctlError, PendingError } from '../../errors.js';
import { PolicyError } from '../../policy/errors.js';
import type { StepReport } from '../../tenant/apply.js';
import type { TenantContext } from '../../tenant/context.js';
import type { Step } from '../../tenant/plan.js';
import { describeError, type RemovalState } from '../../tenant/resources/types.js';
import { retryAfterSeconds, type WaitLevel, type WaitResult } from '../../tenant/wait.js';
import type { PlanAction, TenantPlan } from './plan.js';

export type TenantStatus = 'created' | 'updated' | 'unchanged' | 'deleted' | 'failed' | 'pending';
export const TENANT_STATUSES: readonly TenantStatus[] = ['created', 'updated', 'unchanged', 'deleted', 'failed', 'pending'];

export interface AppliedStep {
  action: Step['action'];
  service: Step['service'];
  target: string;
  /** Why the step was needed (what was missing or different). */
  reason: string;
  state: StepReport['state'] | RemovalState;
  detail?: string | undefined;
}

export interface TenantOutcome {
  tenant: string;
  status: TenantStatus;
  /** What the plan said. */
  action: PlanAction;
  scopes?: string[] | undefined;
  steps: AppliedStep[];
  /** Why it failed or is pending. */
  detail?: string | undefined;
  code?: string | undefined;
  /** Pending: re-run after this many seconds. */
  retryAfterSeconds?: number | undefined;
  wait?: { level: WaitLevel; ok: boolean; elapsedMs: number; pending: string[] } | undefined;
}

export interface ApplyProgress {
  tenant: string;
  status: TenantStatus;
  detail?: string | undefined;
  done: number;
  total: number;
  failed: number;
  pending: number;
}

export interface ExecuteOptions {
  concurrency: number;
  wait: WaitLevel;
  timeoutMs: number;
  onProgress?: ((e: ApplyProgress) => void) | undefined;
}

export interface ExecuteResult {
  tenants: TenantOutcome[];
  counts: Record<TenantStatus, number>;
  interrupted: boolean;
  /** Identity-pool role-configuration writes (rules mode), for the batching claim. */
  poolWrites: number;
}

/** Attempts per tenant: the first, and re-plans after a retryable error. */
export const TENANT_ATTEMPTS = 4;
/** How long one removal keeps retrying "still propagating" and DeleteConflict. */
export const REMOVAL_RETRY_MS = 20_000;

export function countStatuses(items: ReadonlyArray<{ status: TenantStatus }>): Record<TenantStatus, number> {
  const counts: Record<TenantStatus, number> = { created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, pending: 0 };
  for (const i of items) counts[i.status]++;
  return counts;
}

export function retryable(err: unknown): boolean {
  if (err instanceof PendingError) return true;
  if (err instanceof AwsCallError) return err.kind === 'throttled' || err.kind === 'still-propagating' || err.kind === 'conflict' || err.kind === 'not-found';
  if (err instanceof IsoctlError) return err.retryable;
  return false;
}

export function toSteps(reports: Array<StepReport | (Step & { state: RemovalState; detail?: string | undefined })>): AppliedStep[] {
  return reports.map((r) => ({
    action: r.action,
    service: r.service,
    target: r.target,
    reason: r.reason,
    state: r.state,
    ...(r.detail !== undefined ? { detail: r.detail } : {}),
  }));
}

/** An error of a call that Ctrl-C cut short counts as the interruption (pending), not a failure. */
export function interruptedOr(ctx: TenantContext, err: unknown): unknown {
  return ctx.signal?.aborted ? new InterruptedError('interrupted') : err;
}

export function failure(t: TenantPlan, err: unknown, steps: AppliedStep[], scopes?: string[]): TenantOutcome {
  if (err instanceof InterruptedError || (err as Error)?.name === 'AbortError')
    return { tenant: t.tenant, status: 'pending', action: t.action, scopes, steps, detail: 'interrupted; run again to finish', retryAfterSeconds: 0 };
  if (err instanceof PendingError)
    return { tenant: t.tenant, status: 'pending', action: t.action, scopes, steps, detail: err.message, retryAfterSeconds: err.retryAfterSeconds };
  const code = err instanceof IsoctlError || err instanceof PolicyError ? err.code : err instanceof AwsCallError ? err.awsCode : undefined;
  return { tenant: t.tenant, status: 'failed', action: t.action, scopes, steps, detail: describeError(err), code };
}

/** Tenants the run did not finish are `pending` (interrupted, or not reached): a re-run finishes them. Returns them in plan order. */
export function withPending(plan: { tenants: TenantPlan[] }, outcomes: Map<string, TenantOutcome>, interrupted: boolean): TenantOutcome[] {
  for (const t of plan.tenants)
    if (!outcomes.has(t.tenant))
      outcomes.set(t.tenant, {
        tenant: t.tenant,
        status: 'pending',
        action: t.action,
        scopes: t.scopes,
        steps: [],
        detail: interrupted ? 'not finished: interrupted' : 'not reached',
        retryAfterSeconds: 0,
      });
  return plan.tenants.map((t) => outcomes.get(t.tenant)!);
}

/**
 * A created or updated tenant's outcome once its wait ended: pending (timed out, with what is still
 * pending and when to retry), failed (a check failed), or `done` (create and ABAC paths alike).
 */
export function waitedOutcome(
  base: Pick<TenantOutcome, 'tenant' | 'action' | 'scopes' | 'steps'>,
  waited: WaitResult,
  level: WaitLevel,
  timeoutMs: number,
  done: TenantStatus,
): TenantOutcome {
  const pending = waited.checks.filter((c) => c.state === 'pending').map((c) => c.name);
  const wait = { level, ok: waited.ok, elapsedMs: waited.elapsedMs, pending };
  if (waited.timedOut)
    return {
      ...base,
      status: 'pending',
      wait,
      detail: `not yet visible everywhere after ${Math.round(timeoutMs / 1000)}s (pending: ${pending.join(', ')})`,
      retryAfterSeconds: retryAfterSeconds(waited),
    };
  if (!waited.ok) {
    const failed = waited.checks.find((c) => c.state === 'failed');
    return { ...base, status: 'failed', wait, detail: `check ${failed?.name} failed: ${failed?.detail}`, code: 'check_failed' };
  }
  return { ...base, status: done, wait };
}
