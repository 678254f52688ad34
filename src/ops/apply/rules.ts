// Rules mode: the identity pool's rules of many tenants in one read-modify-write under the lock
// (SetIdentityPoolRoles replaces the whole mapping), instead of one write per tenant.
import type { MappingRule } from '../../aws/apis.js';
import { retry } from '../../aws/retry.js';
import { FailedError, RefusedError } from '../../errors.js';
import type { TenantContext } from '../../tenant/context.js';
import { mappingKeyOf } from '../../tenant/observe.js';
import { findTenantRule, MAX_RULES, rulesLimitError } from '../../tenant/plan.js';
import { modifyIdentityPoolRoles } from '../../tenant/pool-roles.js';
import { rule as ruleResource } from '../../tenant/resources/index.js';

export interface RulePut {
  tenant: string;
  roleArn: string;
}

/** Per tenant: undefined when its rule is in place after the write, else the error that refused it. */
export type RuleBatchOutcome = Map<string, Error | undefined>;

/**
 * Puts every tenant's rule in one write, decided again on the fresh read under the lock: a rule
 * someone else wrote since the plan is not taken over, and the 25-rule limit refuses the tenants
 * past it (the others are written). Throttling and a held lock are retried as a whole.
 */
export async function putRulesBatch(ctx: TenantContext, items: RulePut[]): Promise<{ outcome: RuleBatchOutcome; wrote: boolean }> {
  const { config } = ctx;
  const key = mappingKeyOf(config);
  let outcome: RuleBatchOutcome = new Map();
  const change = await retry(
    ctx,
    () => {
      outcome = new Map();
      return modifyIdentityPoolRoles(ctx.apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: ctx.purpose }, (roles) => {
        const entry = roles.RoleMappings[key];
        if (!entry)
          throw new FailedError(`the identity pool ${config.identityPoolId} has no role mapping for ${key}; run \`isoctl init\` first`, 'not_initialized');
        const rules: MappingRule[] = entry.Type === 'Rules' ? [...(entry.RulesConfiguration?.Rules ?? [])] : [];
        for (const item of items) {
          const existing = findTenantRule(rules, config.tenantClaim, item.tenant);
          if (existing) {
            const o = ruleResource.owned(config, existing, item.tenant);
            if (!o.owned && existing.RoleArn !== item.roleArn) {
              outcome.set(item.tenant, new RefusedError(`${o.reason}; isoctl will not change it`, 'not_owned'));
              continue;
            }
            existing.RoleArn = item.roleArn;
          } else {
            if (rules.length >= MAX_RULES) {
              outcome.set(item.tenant, rulesLimitError(config, item.tenant, rules.length));
              continue;
            }
            rules.push({ Claim: config.tenantClaim, MatchType: 'Equals', Value: item.tenant, RoleArn: item.roleArn });
          }
          outcome.set(item.tenant, undefined);
        }
        roles.RoleMappings[key] = ruleResource.rulesEntry(rules);
      });
    },
    { attempts: 6 },
  );
  return { outcome, wrote: change.changed };
}
