// ABAC's shared scope role `isoctl-<stack>-<scope>` (made by init, never by a tenant command): at
// exactly the stack path, with isoctl's managed-by and stack tags and `isoctl:scope=<scope>`.
import { stackPath, type StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_SCOPE, TAG_STACK } from '../../policy/index.js';
import { notOwned, OWNED, type Ownership } from './types.js';

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
