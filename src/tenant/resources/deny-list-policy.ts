// ABAC's spill-over deny lists: customer managed policies `isoctl-<stack>-deny-list-<n>` at exactly
// `/isoctl/<stack>/`, tagged like everything isoctl owns, attached to every scope role once the
// scope roles' inline space is full (src/policy/deny-list.ts). The one ownership filter for them:
// the deny-list store, gc, delete and teardown ask `owned` before changing or removing one.
import type { PolicyInfo } from '../../aws/apis.js';
import { stackPath, type StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK, denyListPolicyArn, denyListPolicyNumber, scopeRoleName } from '../../policy/index.js';
import { ALREADY_GONE, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'deny-list-policy';

/** The tags isoctl puts on a deny-list policy. */
export function denyListTags(config: Pick<StackConfig, 'stack'>): Record<string, string> {
  return { [TAG_MANAGED_BY]: MANAGED_BY_VALUE, [TAG_STACK]: config.stack };
}

/** isoctl's: exactly the stack path, the deny-list name of this stack, isoctl's managed-by and stack tags (when the listing shows tags). */
export function owned(config: Pick<StackConfig, 'stack'>, policy: Pick<PolicyInfo, 'arn' | 'name' | 'path' | 'tags'>): Ownership {
  if (policy.path !== stackPath(config.stack)) return notOwned(`${policy.arn} is at path ${policy.path}, not the stack path ${stackPath(config.stack)}`);
  if (denyListPolicyNumber(config.stack, policy.name) === undefined) return notOwned(`${policy.arn} is not named isoctl-${config.stack}-deny-list-<n>`);
  const tags = policy.tags;
  if (tags && (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE || tags[TAG_STACK] !== config.stack))
    return notOwned(`${policy.arn} does not carry ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}`);
  return OWNED;
}

/**
 * The number n when an attached policy ARN is exactly this stack's `isoctl-<stack>-deny-list-<n>`
 * at the stack path (and in this account and partition); undefined for anything else.
 */
export function numberOfAttached(config: Pick<StackConfig, 'stack' | 'region' | 'accountId'>, arn: string): number | undefined {
  const m = /^arn:[a-z-]+:iam::\d*:policy(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m || m[1] !== stackPath(config.stack)) return undefined;
  const n = denyListPolicyNumber(config.stack, m[2] ?? '');
  return n !== undefined && arn === denyListPolicyArn(config, n) ? n : undefined;
}

export type DenyPolicyAction = 'create-deny-policy' | 'update-deny-policy' | 'attach-deny-policy' | 'detach-deny-policy' | 'delete-deny-policy';
export interface DenyPolicyStep {
  action: DenyPolicyAction;
  /** The policy ARN; attach/detach: `<role>:<arn>`. */
  target: string;
  role?: string | undefined;
}

/**
 * Steps to make one deny-list policy hold `want` (undefined: no entries, so it goes away) and be
 * attached to exactly the scope roles `roles`, from what is observed.
 */
export function plan(
  arn: string,
  want: { document: string | undefined; equal: boolean },
  observed: { exists: boolean; attachedTo: string[] },
  roles: string[],
): DenyPolicyStep[] {
  if (want.document === undefined) {
    if (!observed.exists) return [];
    return [
      ...observed.attachedTo.map((role) => ({ action: 'detach-deny-policy' as const, target: `${role}:${arn}`, role })),
      { action: 'delete-deny-policy', target: arn },
    ];
  }
  const steps: DenyPolicyStep[] = [];
  if (!observed.exists) steps.push({ action: 'create-deny-policy', target: arn });
  else if (!want.equal) steps.push({ action: 'update-deny-policy', target: arn });
  for (const role of roles) if (!observed.attachedTo.includes(role)) steps.push({ action: 'attach-deny-policy', target: `${role}:${arn}`, role });
  return steps;
}

/** Re-reads the policy and, while it is still isoctl's, detaches it from every scope role of the stack, deletes its old versions, then the policy. */
export async function remove(ctx: RemovalContext, item: { arn: string }): Promise<RemovalOutcome> {
  const { iam } = ctx.apis;
  const policy = await retryRemoval(ctx, () => iam.getPolicy(item.arn));
  if (!policy) return { state: 'skipped', detail: ALREADY_GONE };
  const own = owned(ctx.config, policy);
  if (!own.owned) return { state: 'skipped', detail: own.reason };
  for (const scope of Object.keys(ctx.config.scopes).sort()) {
    const role = scopeRoleName(ctx.config, scope);
    await retryRemoval(ctx, () => iam.detachRolePolicy(role, policy.arn));
  }
  for (const v of await retryRemoval(ctx, () => iam.listPolicyVersions(policy.arn)))
    if (!v.isDefault) await retryRemoval(ctx, () => iam.deletePolicyVersion(policy.arn, v.versionId));
  const gone = await retryRemoval(
    ctx,
    () => iam.deletePolicy(policy.arn),
    (e) => e.kind === 'conflict',
  );
  return gone ? { state: 'removed', detail: 'detached from the scope roles and deleted' } : { state: 'skipped', detail: ALREADY_GONE };
}
