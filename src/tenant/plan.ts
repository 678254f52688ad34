// Desired state vs observed state -> the ordered steps that are missing. Pure: no AWS calls.
// Each resource kind plans its own steps and answers whether an existing resource is isoctl's
// (src/tenant/resources/); a plan never contains a step that touches something the ownership
// filter refuses: such a tenant is refused (exit 4) as a whole, before anything is changed.
import type { StackConfig } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import type { DesiredTenant } from './desired.js';
import type { ObservedTenant } from './observe.js';
import { group, probeUser, role, rule, siloTable } from './resources/index.js';
import type { Ownership } from './resources/types.js';
import type { Step } from './resources/step.js';

export type { Step, StepAction, StepService } from './resources/step.js';
export { findTenantRule, MAX_RULES } from './resources/rule.js';

function refuse(o: Ownership, tenant: string, verb: string): void {
  if (o.owned) return;
  throw new RefusedError(
    `${o.reason}; isoctl only changes roles under its stack path that carry its tags (and groups, rules, users and tables that carry its mark for this tenant), so it will not ${verb} tenant ${JSON.stringify(tenant)}. Rename or remove that resource yourself, or pick another tenant id.`,
    'not_owned',
  );
}

/** Refuses (exit 4) when anything of the tenant that exists fails its kind's ownership filter. */
export function assertOwned(config: StackConfig, observed: ObservedTenant, verb: string): void {
  const t = observed.tenant;
  if (observed.role) refuse(role.owned(config, observed.role, t), t, verb);
  if (observed.mapping.kind === 'group' && observed.mapping.group) refuse(group.owned(config, observed.mapping.group, t), t, verb);
  if (observed.mapping.kind === 'rule') {
    const r = rule.findTenantRule(observed.mapping.rules, config.tenantClaim, t);
    if (r) refuse(rule.owned(config, r, t), t, verb);
  }
  if (observed.probe.user) refuse(probeUser.owned(config, observed.probe.user, t), t, verb);
  // Silo tables: only for create (adopting one); delete never removes them.
  if (verb !== 'delete') for (const s of observed.siloTables) if (s.table) refuse(siloTable.owned(config, { name: s.name, tags: s.tags }, t), t, verb);
}

export function planCreate(config: StackConfig, desired: DesiredTenant, observed: ObservedTenant): Step[] {
  assertOwned(config, observed, 'create or change');
  const steps: Step[] = [...role.plan(desired, observed), ...siloTable.plan(desired, observed.siloTables)];
  if (observed.mapping.kind === 'group') steps.push(...group.plan(desired, observed.mapping.group));
  else {
    const existing = rule.findTenantRule(observed.mapping.rules, config.tenantClaim, desired.tenant);
    if (!existing && observed.mapping.rules.length >= rule.MAX_RULES) throw rulesLimitError(config, desired.tenant, observed.mapping.rules.length);
    steps.push(...rule.plan(desired, observed.mapping));
  }
  steps.push(...probeUser.plan(desired, observed.probe));
  return steps;
}

export function rulesLimitError(config: StackConfig, tenant: string, count: number): RefusedError {
  return new RefusedError(
    `cannot add tenant ${JSON.stringify(tenant)}: the identity pool ${config.identityPoolId} already has ${count} rules for this user pool client, and Cognito allows ${rule.MAX_RULES} per provider. ` +
      'Use "mapping": "token" (a user pool group per tenant; no such limit), or spread tenants over several identity pools / stacks.',
    'rules_limit',
    { limit: rule.MAX_RULES, count },
  );
}

/** Whether anything of the tenant exists at all (its role, probe user, or a mapping of it). */
export function tenantExists(observed: ObservedTenant, config: StackConfig): boolean {
  if (observed.role) return true;
  if (observed.probe.user) return true;
  // A group of the tenant's name that isoctl did not make is not a trace of the tenant.
  if (observed.mapping.kind === 'group') return observed.mapping.group !== undefined && group.owned(config, observed.mapping.group, observed.tenant).owned;
  return rule.findTenantRule(observed.mapping.rules, config.tenantClaim, observed.tenant) !== undefined;
}

/** Reverse order of create: mapping, probe user, inline policies, role. Silo tables (data) are kept. */
export function planDelete(config: StackConfig, observed: ObservedTenant): Step[] {
  assertOwned(config, observed, 'delete');
  const steps: Step[] = [];
  if (observed.mapping.kind === 'group' && observed.mapping.group) steps.push(...group.planRemoval(observed.mapping.group));
  else if (observed.mapping.kind === 'rule' && rule.findTenantRule(observed.mapping.rules, config.tenantClaim, observed.tenant))
    steps.push(...rule.planRemoval(config, observed.tenant, observed.mapping.mappingKey));
  if (observed.probe.user) steps.push(...probeUser.planRemoval(observed.probe.user));
  if (observed.role) steps.push(...role.planRemoval({ role: observed.role, inlinePolicyNames: observed.inlinePolicyNames }));
  return steps;
}
