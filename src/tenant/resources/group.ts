// The tenant's user-pool group (token mapping): named after the tenant, mapping to its role.
// Groups carry no tags, so isoctl's mark is the description `managed by isoctl: stack=<s> tenant=<t>`.
import type { GroupInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { tenantRoleArn } from '../../policy/index.js';
import type { DesiredTenant } from '../desired.js';
import { isManagedGroupDescription, tenantGroupName } from '../names.js';
import type { Step } from './step.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'group';

export type ObservedGroup = Pick<GroupInfo, 'name' | 'roleArn' | 'description'>;

/** The tenant a group is marked for in this stack (undefined: no mark of this stack). */
export function tenantOfGroup(config: Pick<StackConfig, 'stack'>, group: Pick<GroupInfo, 'description'>): string | undefined {
  return isManagedGroupDescription(config, group.description);
}

/**
 * Whether isoctl may change or delete this group (as tenant `tenant`'s, when given): it carries
 * this stack's mark for the tenant it is named after, and maps to that tenant's role or to none
 * (a marked group redirected by hand to another role is not taken over).
 */
export function owned(config: Pick<StackConfig, 'stack' | 'region' | 'accountId'>, group: ObservedGroup, tenant?: string): Ownership {
  const marked = tenantOfGroup(config, group);
  const what = `user pool group ${JSON.stringify(group.name)}`;
  if (marked === undefined)
    return notOwned(
      `${what} is not isoctl's (role ${group.roleArn ?? 'none'}, description ${JSON.stringify(group.description ?? '')}): it lacks the mark of stack ${config.stack}`,
    );
  if (tenant !== undefined && marked !== tenant) return notOwned(`${what} is marked for tenant ${marked}, not ${tenant}`);
  if (group.name !== tenantGroupName(marked)) return notOwned(`${what} is marked for tenant ${marked} but is not named ${tenantGroupName(marked)}`);
  const arn = tenantRoleArn(config as StackConfig, marked);
  if (group.roleArn !== undefined && group.roleArn !== arn) return notOwned(`${what} maps to ${group.roleArn}, not to tenant ${marked}'s role ${arn}`);
  return OWNED;
}

/** Create or repair steps; the caller has checked `owned` first. */
export function plan(desired: DesiredTenant, observed: GroupInfo | undefined): Step[] {
  const mapping = desired.mapping;
  if (mapping.kind !== 'group') return [];
  if (!observed)
    return [
      {
        action: 'create-group',
        service: 'cognito-idp',
        target: mapping.groupName,
        reason: 'group does not exist',
        details: { roleArn: mapping.roleArn, description: mapping.description },
      },
    ];
  if (observed.roleArn === mapping.roleArn && observed.description === mapping.description) return [];
  return [
    {
      action: 'update-group',
      service: 'cognito-idp',
      target: mapping.groupName,
      reason: observed.roleArn !== mapping.roleArn ? `group maps to ${observed.roleArn ?? 'no role'}` : 'group description differs',
      details: { roleArn: mapping.roleArn, description: mapping.description },
    },
  ];
}

export function planRemoval(group: GroupInfo): Step[] {
  return [{ action: 'delete-group', service: 'cognito-idp', target: group.name, reason: 'tenant mapping (group)' }];
}

export interface GroupRemoval {
  name: string;
  tenant: string;
  /** The role ARN it mapped to when planned: a group that maps elsewhere now is left alone. */
  roleArn?: string | undefined;
  /** The group as just read; undefined: read it again and re-check ownership (a plan made earlier). */
  observed?: GroupInfo | undefined;
}

export async function remove(ctx: RemovalContext, item: GroupRemoval): Promise<RemovalOutcome> {
  const { config } = ctx;
  const idp = ctx.apis.cognitoIdp;
  if (!item.observed) {
    const g = await retryRemoval(ctx, () => idp.getGroup(config.userPoolId, item.name));
    if (!g) return { state: 'skipped', detail: ALREADY_GONE };
    const o = owned(config, g, item.tenant);
    if (!o.owned) return { state: 'skipped', detail: `${o.reason} (changed since the plan)` };
    if (item.roleArn !== undefined && g.roleArn !== item.roleArn)
      return { state: 'skipped', detail: `group ${item.name} now maps to ${g.roleArn ?? 'no role'}` };
  }
  if (!(await retryRemoval(ctx, () => idp.deleteGroup(config.userPoolId, item.name)))) return { state: 'skipped', detail: ALREADY_GONE };
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await idp.getGroup(config.userPoolId, item.name)) !== undefined)))
    return { state: 'waiting', detail: 'deleted; Cognito still lists it (run again to confirm)' };
  return { state: 'removed' };
}
