// The stack's entry in the identity pool's role mappings, keyed by the user pool client (made by
// init: Token with AmbiguousRoleResolution Deny; in rules mode it becomes Rules while tenants have
// rules). An entry carries no tags: it is isoctl's when it has the shape isoctl writes and every
// rule in it maps to a role of this stack. Another shape (a rule for a foreign role, another
// resolution) is another writer's, and is left alone.
import type { RoleMapping } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { mappingKeyOf } from '../observe.js';
import { modifyIdentityPoolRoles } from '../pool-roles.js';
import { owned as ruleOwned } from './rule.js';
import { ALREADY_GONE, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'pool-mapping';

export function owned(config: StackConfig, entry: RoleMapping): Ownership {
  const key = mappingKeyOf(config);
  if (entry.AmbiguousRoleResolution !== 'Deny')
    return notOwned(`the mapping for ${key} resolves ambiguity with ${entry.AmbiguousRoleResolution ?? 'nothing set'}, not Deny: not the entry isoctl writes`);
  if (entry.Type === 'Token') return OWNED;
  const foreign = (entry.RulesConfiguration?.Rules ?? []).find((r) => !ruleOwned(config, r).owned);
  if (foreign)
    return notOwned(`the mapping for ${key} has a rule ${foreign.Claim}=${foreign.Value} for ${foreign.RoleArn}, which is not a role of stack ${config.stack}`);
  return OWNED;
}

/** Deletes the entry under the lock, decided on the fresh read; every other entry and the pool's Roles stay. */
export async function remove(ctx: RemovalContext): Promise<RemovalOutcome> {
  const { config } = ctx;
  const key = mappingKeyOf(config);
  let outcome: RemovalOutcome = { state: 'skipped', detail: ALREADY_GONE };
  await retryRemoval(ctx, () =>
    modifyIdentityPoolRoles(ctx.apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: ctx.purpose ?? 'teardown' }, (roles) => {
      const entry = roles.RoleMappings[key];
      if (!entry) return void (outcome = { state: 'skipped', detail: ALREADY_GONE });
      const o = owned(config, entry);
      if (!o.owned) return void (outcome = { state: 'skipped', detail: o.reason });
      delete roles.RoleMappings[key];
      outcome = { state: 'removed', detail: 'removed under the lock; the identity pool read back without it' };
    }),
  );
  return outcome;
}
