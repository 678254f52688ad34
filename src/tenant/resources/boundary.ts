// The stack's permissions boundary: a managed policy `init` makes under the stack path. Not a
// per-tenant resource and never removed by isoctl, but its ownership is decided here too.
import type { PolicyInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY } from '../../policy/index.js';
import { notOwned, OWNED, type Ownership } from './types.js';

export const kind = 'boundary';

/** isoctl's boundary: it carries the managed-by tag (a listing without tags is given the benefit of the doubt). */
export function owned(_config: Pick<StackConfig, 'stack'>, policy: Pick<PolicyInfo, 'arn' | 'tags'>): Ownership {
  if (policy.tags && policy.tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE)
    return notOwned(`${policy.arn} exists without the tag ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE}`);
  return OWNED;
}
