// The tenant's identity-pool rule (rules mapping): `<tenantClaim> Equals <tenant>` -> its role,
// in the user pool client's entry of the identity pool's RulesConfiguration. Every write of it is
// a read-modify-write of the whole configuration under the stack's lock (pool-roles.ts).
import type { MappingRule, RoleMapping } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import { tenantRoleArn } from '../../policy/index.js';
import type { DesiredTenant } from '../desired.js';
import { mappingKeyOf } from '../observe.js';
import { modifyIdentityPoolRoles } from '../pool-roles.js';
import type { Step } from './step.js';
import { ALREADY_GONE, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'rule';

/** Maximum rules per provider in an identity pool's RulesConfiguration. */
export const MAX_RULES = 25;

/** The rule of `tenant` among `rules`: same claim, Equals, same value (owned or not). */
export function findTenantRule(rules: MappingRule[], claim: string, tenant: string): MappingRule | undefined {
  return rules.find((r) => r.Claim === claim && r.MatchType === 'Equals' && r.Value === tenant);
}

/** The tenant a rule is about in this stack (its claim and match type), owned or not. */
export function tenantOfRule(config: Pick<StackConfig, 'tenantClaim'>, rule: MappingRule): string | undefined {
  return rule.Claim === config.tenantClaim && rule.MatchType === 'Equals' && TENANT_ID_PATTERN.test(rule.Value) ? rule.Value : undefined;
}

/**
 * Whether isoctl may change or remove this rule (as tenant `tenant`'s, when given): the stack's
 * tenant claim, Equals, a tenant id, and mapping to exactly that tenant's role of this stack.
 */
export function owned(config: StackConfig, rule: MappingRule, tenant?: string): Ownership {
  const what = `the identity pool rule ${rule.Claim} ${rule.MatchType} ${JSON.stringify(rule.Value)}`;
  const t = tenantOfRule(config, rule);
  if (t === undefined) return notOwned(`${what} is not a tenant rule of stack ${config.stack} (claim ${config.tenantClaim}, Equals)`);
  if (tenant !== undefined && t !== tenant) return notOwned(`${what} is tenant ${t}'s, not ${tenant}'s`);
  const arn = tenantRoleArn(config, t);
  if (rule.RoleArn !== arn) return notOwned(`${what} maps to ${rule.RoleArn}, which is not tenant ${t}'s role ${arn} of stack ${config.stack}`);
  return OWNED;
}

/** Put step when the rule is missing or maps elsewhere; the caller has checked `owned` and the limit. */
export function plan(desired: DesiredTenant, observed: { rules: MappingRule[]; mappingKey: string }): Step[] {
  const mapping = desired.mapping;
  if (mapping.kind !== 'rule') return [];
  const rule = findTenantRule(observed.rules, mapping.claim, mapping.value);
  if (rule && rule.RoleArn === mapping.roleArn) return [];
  return [
    {
      action: 'put-rule',
      service: 'cognito-identity',
      target: `${observed.mappingKey} ${mapping.claim}=${mapping.value}`,
      reason: rule ? `rule maps to ${rule.RoleArn}` : 'rule does not exist',
      details: { Claim: mapping.claim, MatchType: 'Equals', Value: mapping.value, RoleArn: mapping.roleArn },
    },
  ];
}

export function planRemoval(config: StackConfig, tenant: string, mappingKey: string): Step[] {
  return [{ action: 'remove-rule', service: 'cognito-identity', target: `${mappingKey} ${config.tenantClaim}=${tenant}`, reason: 'tenant mapping (rule)' }];
}

/**
 * The provider's entry for a list of rules. Cognito requires at least one rule in a Rules entry;
 * with no tenant left, the entry becomes Token with AmbiguousRoleResolution Deny, under which a
 * token without cognito:roles (isoctl's rules-mode users) gets no role at all.
 */
export function rulesEntry(rules: MappingRule[]): RoleMapping {
  if (rules.length === 0) return { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
  return { Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: rules } };
}

export interface RuleRemoval {
  tenant: string;
  /** The role ARN it mapped to when planned: a rule that maps elsewhere now is left alone. */
  roleArn?: string | undefined;
}

/** Removes one tenant's rule: see removeMany. */
export async function remove(ctx: RemovalContext, item: RuleRemoval): Promise<RemovalOutcome> {
  return (await removeMany(ctx, [item])).get(item) ?? { state: 'skipped', detail: ALREADY_GONE };
}

/**
 * Removes the rules of several tenants in one read-modify-write under the lock, decided on the
 * fresh read: only rules the ownership filter accepts (and that still map to the planned ARN).
 * Errors are thrown (the caller decides whether they fail the run or the items).
 */
export async function removeMany<T extends RuleRemoval>(ctx: RemovalContext, items: T[]): Promise<Map<T, RemovalOutcome>> {
  const { config } = ctx;
  const key = mappingKeyOf(config);
  const found = new Set<T>();
  await retryRemoval(ctx, () =>
    modifyIdentityPoolRoles(ctx.apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: ctx.purpose ?? 'remove' }, (roles) => {
      found.clear();
      const entry = roles.RoleMappings[key];
      if (!entry || entry.Type !== 'Rules') return;
      const matches = (r: MappingRule, i: T) => owned(config, r, i.tenant).owned && (i.roleArn === undefined || r.RoleArn === i.roleArn);
      const kept = (entry.RulesConfiguration?.Rules ?? []).filter((r) => {
        const item = items.find((i) => matches(r, i));
        if (item) found.add(item);
        return !item;
      });
      if (found.size > 0) roles.RoleMappings[key] = { ...rulesEntry(kept), AmbiguousRoleResolution: entry.AmbiguousRoleResolution ?? 'Deny' };
    }),
  );
  const out = new Map<T, RemovalOutcome>();
  for (const i of items)
    out.set(
      i,
      found.has(i)
        ? { state: 'removed', detail: 'removed under the lock; the identity pool read back without it' }
        : { state: 'skipped', detail: ALREADY_GONE },
    );
  return out;
}
