// The stack's permissions boundary: a managed policy `init` makes under the stack path. Written
// and removed only with administrator credentials (the operator policy denies every write of it,
// docs/security.md #11 vector 4); removed only by the stack teardown, after the roles using it.
import type { PolicyInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { boundaryPolicyArn, MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK } from '../../policy/index.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'boundary';

/** isoctl's boundary: it carries the managed-by tag (a listing without tags is given the benefit of the doubt). */
export function owned(_config: Pick<StackConfig, 'stack'>, policy: Pick<PolicyInfo, 'arn' | 'tags'>): Ownership {
  if (policy.tags && policy.tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE)
    return notOwned(`${policy.arn} exists without the tag ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE}`);
  return OWNED;
}

/** Removal is stricter than init's adoption check: the policy must show its tags, and they must name this stack. */
export function ownedForRemoval(config: Pick<StackConfig, 'stack'>, policy: Pick<PolicyInfo, 'arn' | 'tags'>): Ownership {
  const tags = policy.tags ?? {};
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE || tags[TAG_STACK] !== config.stack)
    return notOwned(`${policy.arn} does not carry ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}`);
  return OWNED;
}

/**
 * Deletes the boundary while ownedForRemoval says it is this stack's. Its older versions go first
 * (IAM refuses DeletePolicy while any is left); a boundary some role still uses is a
 * DeleteConflict, retried until the deadline (a role deleted moments ago).
 */
export async function remove(ctx: RemovalContext): Promise<RemovalOutcome> {
  const { iam } = ctx.apis;
  const arn = boundaryPolicyArn(ctx.config);
  const policy = await retryRemoval(ctx, () => iam.getPolicy(arn));
  if (!policy) return { state: 'skipped', detail: ALREADY_GONE };
  const o = ownedForRemoval(ctx.config, policy);
  if (!o.owned) return { state: 'skipped', detail: o.reason };
  const deleted = await retryRemoval(
    ctx,
    async () => {
      for (const v of await iam.listPolicyVersions(arn)) if (!v.isDefault) await iam.deletePolicyVersion(arn, v.versionId);
      return iam.deletePolicy(arn);
    },
    (e) => e.kind === 'conflict',
  );
  if (!deleted) return { state: 'skipped', detail: ALREADY_GONE };
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await iam.getPolicy(arn)) !== undefined)))
    return { state: 'waiting', detail: 'deleted; IAM still shows the policy (run again to confirm)' };
  return { state: 'removed' };
}
