// ABAC's shared scope role `isoctl-<stack>-<scope>` (made by init, never by a tenant command): at
// exactly the stack path, with isoctl's managed-by and stack tags and `isoctl:scope=<scope>`.
import { stackPath, type StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_SCOPE, TAG_STACK } from '../../policy/index.js';
import { remove as removeRole, type RoleRemovalOutcome } from './role.js';
import { ALREADY_GONE, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext } from './types.js';

export const kind = 'scope-role';

export function owned(
  config: Pick<StackConfig, 'stack'>,
  role: { name: string; path: string; tags: Record<string, string> | undefined },
  scope: string,
): Ownership {
  const tags = role.tags ?? {};
  if (role.path !== stackPath(config.stack))
    return notOwned(`role ${role.name} exists at path ${role.path}, outside the stack path ${stackPath(config.stack)}`);
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE || tags[TAG_STACK] !== config.stack)
    return notOwned(`role ${role.name} does not carry ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}`);
  if (tags[TAG_SCOPE] !== scope) return notOwned(`role ${role.name} does not carry ${TAG_SCOPE}=${scope}: it is not this stack's ABAC scope role`);
  return OWNED;
}

/**
 * Stack teardown: re-reads the role and, while it is still this stack's scope role, deletes its
 * inline policies (the data policy and the deny lists of suspended, revoked and deleted tenants)
 * and then the role, as a tenant role goes (role.remove).
 */
export async function remove(ctx: RemovalContext, item: { name: string; scope: string }): Promise<RoleRemovalOutcome> {
  const role = await retryRemoval(ctx, () => ctx.apis.iam.getRole(item.name));
  if (!role) return { state: 'skipped', detail: ALREADY_GONE, removedPolicies: [], detachedPolicies: [] };
  const o = owned(ctx.config, role, item.scope);
  if (!o.owned) return { state: 'skipped', detail: o.reason, removedPolicies: [], detachedPolicies: [] };
  return removeRole(ctx, { name: item.name });
}
