// ABAC's user-pool group `isoctl-<stack>-<scope>` that carries the scope role (made by init, never
// by a tenant command). Groups carry no tags: isoctl's mark is the description
// `managed by isoctl: stack=<stack> scope=<scope>`, and a group without it is never changed.
import type { GroupInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'scope-group';

export function scopeGroupDescription(config: Pick<StackConfig, 'stack'>, scope: string): string {
  return `managed by isoctl: stack=${config.stack} scope=${scope}`;
}

export function owned(config: Pick<StackConfig, 'stack'>, group: Pick<GroupInfo, 'name' | 'description'>, scope: string): Ownership {
  if (group.description !== scopeGroupDescription(config, scope))
    return notOwned(
      `user-pool group ${group.name} lacks isoctl's mark for stack ${config.stack} scope ${scope} (description ${JSON.stringify(group.description ?? '')})`,
    );
  return OWNED;
}

/** Re-reads the group and deletes it only while it still carries the mark. */
export async function remove(ctx: RemovalContext, item: { name: string; scope: string }): Promise<RemovalOutcome> {
  const { config } = ctx;
  const idp = ctx.apis.cognitoIdp;
  const g = await retryRemoval(ctx, () => idp.getGroup(config.userPoolId, item.name));
  if (!g) return { state: 'skipped', detail: ALREADY_GONE };
  const o = owned(config, g, item.scope);
  if (!o.owned) return { state: 'skipped', detail: o.reason };
  if (!(await retryRemoval(ctx, () => idp.deleteGroup(config.userPoolId, item.name)))) return { state: 'skipped', detail: ALREADY_GONE };
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await idp.getGroup(config.userPoolId, item.name)) !== undefined)))
    return { state: 'waiting', detail: 'deleted; Cognito still lists it (run again to confirm)' };
  return { state: 'removed' };
}
