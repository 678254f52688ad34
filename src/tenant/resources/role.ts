// The tenant role: `isoctl-<stack>-<tenant>` at exactly /isoctl/<stack>/, with isoctl's tags, one
// inline data policy and the stack's boundary. The one place that decides whether isoctl may
// change or delete a role (create, delete, list --deep, gc, doctor and explain all ask `owned`).
import type { RoleInfo } from '../../aws/apis.js';
import { AwsCallError } from '../../aws/errors.js';
import { FailedError } from '../../errors.js';
import { stackPath, type StackConfig } from '../../config/schema.js';
import { roleName, TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import { LIFECYCLE_POLICY_NAMES } from '../../policy/lifecycle.js';
import { INLINE_POLICY_NAME, MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_SCOPES, TAG_STACK, TAG_TENANT, TENANT_PIN_TAG, policiesEqual } from '../../policy/index.js';
import type { PolicyDocument } from '../../policy/types.js';
import type { DesiredTenant } from '../desired.js';
import type { Step } from './step.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'role';

/** What the filter needs of a role: tags undefined means they were not read (ListRoles) or there are none. */
export type ObservedRole = Pick<RoleInfo, 'name' | 'path'> & { tags: Record<string, string> | undefined };

/** The tenant a role name stands for in this stack, when it is an isoctl tenant role name. */
export function tenantOfRoleName(config: Pick<StackConfig, 'stack'>, name: string): string | undefined {
  const prefix = roleName(config.stack, '');
  if (!name.startsWith(prefix)) return undefined;
  const t = name.slice(prefix.length);
  return TENANT_ID_PATTERN.test(t) ? t : undefined;
}

/**
 * Whether isoctl may change or delete this role, as tenant `tenant` (when given) of the stack:
 * exactly the stack path (not another stack's, not below it), isoctl's name, managed-by and stack
 * tags, and no `isoctl:tenant` tag naming another tenant.
 */
export function owned(config: Pick<StackConfig, 'stack'>, role: ObservedRole, tenant?: string): Ownership {
  const path = stackPath(config.stack);
  if (role.path !== path) return notOwned(`role ${role.name} exists at path ${role.path}, outside the stack path ${path}`);
  const t = tenantOfRoleName(config, role.name);
  if (t === undefined) return notOwned(`role ${role.name} is not named ${roleName(config.stack, '<tenant>')}`);
  if (tenant !== undefined && t !== tenant) return notOwned(`role ${role.name} is not the role of tenant ${tenant}`);
  const tags = role.tags ?? {};
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE) return notOwned(`role ${role.name} does not carry the tag ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE}`);
  if (tags[TAG_STACK] !== config.stack) return notOwned(`role ${role.name} carries ${TAG_STACK}=${tags[TAG_STACK] ?? '(none)'}, not ${config.stack}`);
  if (tags[TAG_TENANT] !== undefined && tags[TAG_TENANT] !== t)
    return notOwned(`role ${role.name} carries ${TAG_TENANT}=${tags[TAG_TENANT]}, not ${t}: it is tagged for another tenant`);
  if (tags['isoctl:scope'] !== undefined)
    return notOwned(`role ${role.name} is the stack's ABAC scope role (isoctl:scope=${tags['isoctl:scope']}), not a tenant's`);
  if (tags[TENANT_PIN_TAG] !== undefined && tags[TENANT_PIN_TAG] !== t)
    return notOwned(`role ${role.name} carries ${TENANT_PIN_TAG}=${tags[TENANT_PIN_TAG]}, not ${t}: it is tagged for another tenant`);
  return OWNED;
}

/** Whether an ARN names a role at exactly this stack's path (mappings may point only there). */
export function isStackRoleArn(config: Pick<StackConfig, 'stack'>, arn: string | undefined): boolean {
  const m = /^arn:[a-z-]+:iam::\d*:role(\/.*\/)[^/]+$/.exec(arn ?? '');
  return m !== null && m[1] === stackPath(config.stack);
}

function sameTags(want: Record<string, string>, have: Record<string, string> | undefined): { missing: Record<string, string>; extra: string[] } {
  const missing: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have?.[k] !== v) missing[k] = v;
  // Only isoctl's own tag keys are removed; tags others put on the role stay.
  const extra = Object.keys(have ?? {}).filter((k) => k.startsWith('isoctl:') && !(k in want));
  return { missing, extra };
}

function docEqual(want: PolicyDocument, have: unknown): boolean {
  if (have === undefined || have === null) return false;
  if (typeof have !== 'string' && typeof have !== 'object') return false;
  return policiesEqual(want, have as PolicyDocument | string);
}

export interface ObservedRoleState {
  role: RoleInfo | undefined;
  inlinePolicyNames: string[];
  dataPolicy: unknown;
}

/** Why the inline data policy is rewritten: missing, the tenant's scopes changed (`--scope`), or edited outside isoctl. */
function dataPolicyReason(desired: DesiredTenant, observed: ObservedRoleState): string {
  if (observed.dataPolicy === undefined) return 'inline data policy missing';
  const was = observed.role?.tags?.[TAG_SCOPES];
  const now = desired.role.tags[TAG_SCOPES];
  if (was !== undefined && now !== undefined && was !== now) return `scopes change from ${was.split('+').join(', ')} to ${now.split('+').join(', ')}`;
  return 'inline data policy differs from the config (edited by hand?)';
}

/** Create or repair steps; the caller has checked `owned` first. */
export function plan(desired: DesiredTenant, observed: ObservedRoleState): Step[] {
  const steps: Step[] = [];
  const { role } = desired;
  if (!observed.role) {
    steps.push({
      action: 'create-role',
      service: 'iam',
      target: role.name,
      reason: 'role does not exist',
      document: role.trustPolicy,
      details: { path: role.path, permissionsBoundary: role.boundaryArn, tags: role.tags },
    });
  } else {
    if (!docEqual(role.trustPolicy, observed.role.trustPolicy))
      steps.push({
        action: 'update-trust-policy',
        service: 'iam',
        target: role.name,
        reason: 'trust policy differs from the config',
        document: role.trustPolicy,
      });
    if (observed.role.permissionsBoundaryArn !== role.boundaryArn)
      steps.push({
        action: 'put-permissions-boundary',
        service: 'iam',
        target: role.name,
        reason: observed.role.permissionsBoundaryArn ? `boundary is ${observed.role.permissionsBoundaryArn}` : 'role has no permissions boundary',
        details: { permissionsBoundary: role.boundaryArn },
      });
    const tags = sameTags(role.tags, observed.role.tags);
    if (Object.keys(tags.missing).length > 0)
      steps.push({
        action: 'tag-role',
        service: 'iam',
        target: role.name,
        reason: `tags missing or different: ${Object.keys(tags.missing).join(', ')}`,
        details: { tags: tags.missing },
      });
    if (tags.extra.length > 0)
      steps.push({
        action: 'untag-role',
        service: 'iam',
        target: role.name,
        reason: `stale isoctl tags: ${tags.extra.join(', ')}`,
        details: { keys: tags.extra },
      });
  }
  if (!observed.role || !docEqual(desired.dataPolicy.document, observed.dataPolicy))
    steps.push({
      action: 'put-data-policy',
      service: 'iam',
      target: `${role.name}/${desired.dataPolicy.name}`,
      reason: dataPolicyReason(desired, observed),
      document: desired.dataPolicy.document,
    });
  // The suspension and revocation denies are isoctl's too (suspend, revoke-sessions): create keeps them.
  for (const name of observed.inlinePolicyNames)
    if (name !== INLINE_POLICY_NAME && !LIFECYCLE_POLICY_NAMES.includes(name))
      steps.push({
        action: 'delete-inline-policy',
        service: 'iam',
        target: `${role.name}/${name}`,
        reason: 'inline policy not made by isoctl widens what the config allows',
      });
  return steps;
}

/** Removal steps of a role the caller found owned: its inline policies, then the role. */
export function planRemoval(observed: { role: RoleInfo; inlinePolicyNames: string[] }): Step[] {
  const name = observed.role.name;
  return [
    ...observed.inlinePolicyNames.map((p): Step => ({
      action: 'delete-inline-policy',
      service: 'iam',
      target: `${name}/${p}`,
      reason: 'inline policies go before the role',
    })),
    { action: 'delete-role', service: 'iam', target: name, reason: 'tenant role' },
  ];
}

export interface RoleRemoval {
  name: string;
  /** Inline policy names just read; undefined: list them. */
  inlinePolicies?: string[] | undefined;
}

export interface RoleRemovalOutcome extends RemovalOutcome {
  /** Inline policies this removal deleted. */
  removedPolicies: string[];
  /** Managed policies it detached (the policies themselves stay). */
  detachedPolicies: string[];
}

const notFoundAs =
  <T>(value: T) =>
  (err: unknown): T => {
    if (err instanceof AwsCallError && err.kind === 'not-found') return value;
    throw err;
  };

/**
 * Deletes the inline policies, detaches attached managed policies (never deleting them), then the
 * role. IAM answers DeleteConflict while anything is still attached or a just-deleted policy still
 * shows: then both lists are read again and the delete retried until the deadline. The first
 * attempt uses the inline names the caller just read and skips the attachment listing: roles
 * isoctl made have no managed policies, and a conflict is what reveals that someone attached one.
 * Errors other than still-propagating/conflict/throttling are thrown.
 */
export async function remove(ctx: RemovalContext, item: RoleRemoval): Promise<RoleRemovalOutcome> {
  const { iam } = ctx.apis;
  const removedPolicies: string[] = [];
  const detachedPolicies: string[] = [];
  let inline = item.inlinePolicies;
  let attached: string[] | undefined = [];
  let existed = false;
  /** How many policies the last listing found (undefined: that attempt did not list). */
  let lastListing: number | undefined;
  await retryRemoval(
    ctx,
    async () => {
      const listed = attached === undefined;
      const names = inline ?? (await iam.listRolePolicies(item.name).catch(notFoundAs<string[]>([])));
      const arns = attached ?? (await iam.listAttachedRolePolicies(item.name).catch(notFoundAs<string[]>([])));
      inline = undefined;
      attached = undefined;
      for (const p of names) if (await iam.deleteRolePolicy(item.name, p)) removedPolicies.push(p);
      for (const a of arns) if (await iam.detachRolePolicy(item.name, a)) detachedPolicies.push(a);
      lastListing = listed ? names.length + arns.length : undefined;
      existed = (await iam.deleteRole(item.name)) || existed || removedPolicies.length > 0 || detachedPolicies.length > 0;
    },
    (e) => e.kind === 'conflict' || e.kind === 'still-propagating',
  ).catch((err: unknown) => {
    // Until the deadline IAM still named attachments though none was listed to delete or detach:
    // most likely an instance profile holds the role. isoctl never made one, so it does not take the
    // role out of it; re-running will not help, so this is a failure with the way out, not "waiting".
    if (err instanceof AwsCallError && err.reason === 'attached-policies' && lastListing === 0)
      throw new FailedError(
        `${err.summary} (nothing was left to delete or detach when IAM last listed the role: if ${item.name} is in an instance profile, which isoctl did not make, remove it from the profile yourself)`,
        'role_in_use',
      );
    throw err;
  });
  const parts = [
    removedPolicies.length > 0 ? `inline policies ${removedPolicies.join(', ')}` : '',
    detachedPolicies.length > 0 ? `managed policies ${detachedPolicies.join(', ')} detached (not deleted)` : '',
  ].filter(Boolean);
  const what = parts.length > 0 ? `${parts.join(', ')} and the role deleted` : undefined;
  if (!existed) return { state: 'skipped', detail: ALREADY_GONE, removedPolicies, detachedPolicies };
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await iam.getRole(item.name)) !== undefined)))
    return { state: 'waiting', detail: `${what ?? 'deleted'}; IAM still shows the role (run again to confirm)`, removedPolicies, detachedPolicies };
  return { state: 'removed', detail: what, removedPolicies, detachedPolicies };
}
