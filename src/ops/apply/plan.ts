// The plan of an apply: for each tenant of the file, create / update / unchanged, and with
// --prune, delete for each tenant of the stack the file does not name. Pure: the fleet was read
// before (observe.ts). A tenant whose resources fail the ownership filter, or that would exceed
// the 25 rules of rules mode, is planned as refused; the others go ahead.
import type { MappingMode, StackConfig } from '../../config/schema.js';
import { IsoctlError } from '../../errors.js';
import { PolicyError } from '../../policy/errors.js';
import { assertIsolationProof, desiredTenant, resolveScopes, scopesFromTag, type DesiredTenant } from '../../tenant/desired.js';
import { TAG_SCOPES } from '../../tenant/names.js';
import type { ObservedTenant } from '../../tenant/observe.js';
import { findTenantRule, MAX_RULES, planCreate, planDelete, rulesLimitError, tenantExists, type Step } from '../../tenant/plan.js';
import type { TenantSpec } from './spec.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete' | 'refused';
export const PLAN_ACTIONS: readonly PlanAction[] = ['create', 'update', 'unchanged', 'delete', 'refused'];

export interface TenantPlan {
  tenant: string;
  action: PlanAction;
  /** The scopes the tenant has after the apply (undefined for a delete). */
  scopes?: string[] | undefined;
  steps: Step[];
  /** Why a tenant is refused (not owned, rules limit, isolation proof). */
  reason?: string | undefined;
  code?: string | undefined;
  /** Not in the JSON: what execute needs. */
  desired?: DesiredTenant | undefined;
  observed?: ObservedTenant | undefined;
}

export interface ApplyPlan {
  stack: string;
  mapping: MappingMode;
  prune: boolean;
  tenants: TenantPlan[];
  counts: Record<PlanAction, number>;
}

export interface PlanInput {
  /** Tenants to create or update. */
  tenants: TenantSpec[];
  /** Tenants to delete (bulk `tenant delete`, or the stack's tenants missing from the file with --prune). */
  remove: string[];
  prune: boolean;
}

function refusal(tenant: string, err: unknown, scopes?: string[]): TenantPlan {
  if (err instanceof IsoctlError || err instanceof PolicyError) return { tenant, action: 'refused', scopes, steps: [], reason: err.message, code: err.code };
  throw err;
}

export function planApply(config: StackConfig, input: PlanInput, observed: Map<string, ObservedTenant>): ApplyPlan {
  const tenants: TenantPlan[] = [];
  // Rules mode: one rule per tenant, at most 25 per provider, counted over the whole batch.
  let rulesLeft = Number.POSITIVE_INFINITY;
  if (config.mapping === 'rules') {
    const any = [...observed.values()][0];
    const rules = any?.mapping.kind === 'rule' ? any.mapping.rules : [];
    const removed = input.remove.filter((t) => findTenantRule(rules, config.tenantClaim, t) !== undefined).length;
    rulesLeft = MAX_RULES - rules.length + removed;
  }
  for (const spec of input.tenants) {
    const o = observed.get(spec.id);
    if (!o) continue;
    let scopes = resolveScopes(config, spec.scopes);
    if (spec.scopes === undefined && o.role?.tags) scopes = scopesFromTag(config, o.role.tags[TAG_SCOPES]) ?? scopes;
    try {
      const desired = desiredTenant(config, spec.id, scopes);
      const steps = planCreate(config, desired, o);
      const exists = tenantExists(o, config);
      if (steps.some((s) => s.action === 'put-rule') && o.mapping.kind === 'rule' && !findTenantRule(o.mapping.rules, config.tenantClaim, spec.id)) {
        if (rulesLeft <= 0) throw rulesLimitError(config, spec.id, MAX_RULES);
        rulesLeft--;
      }
      tenants.push({ tenant: spec.id, action: !exists ? 'create' : steps.length > 0 ? 'update' : 'unchanged', scopes, steps, desired, observed: o });
    } catch (err) {
      tenants.push(refusal(spec.id, err, scopes));
    }
  }
  for (const t of input.remove) {
    const o = observed.get(t);
    if (!o) continue;
    try {
      const steps = planDelete(config, o);
      tenants.push({ tenant: t, action: steps.length === 0 ? 'unchanged' : 'delete', steps, observed: o });
    } catch (err) {
      tenants.push(refusal(t, err));
    }
  }
  return { stack: config.stack, mapping: config.mapping, prune: input.prune, tenants, counts: countActions(tenants) };
}

export function countActions(tenants: ReadonlyArray<{ action: PlanAction }>): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, delete: 0, refused: 0 };
  for (const t of tenants) counts[t.action]++;
  return counts;
}

/** The isolation proof, offline and once per distinct scope set (it does not depend on the tenant's name beyond the pattern). */
export function proveFleet(config: StackConfig, specs: TenantSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    const key = resolveScopes(config, s.scopes).join('+');
    if (seen.has(key)) continue;
    seen.add(key);
    assertIsolationProof(config, s.id);
  }
}
