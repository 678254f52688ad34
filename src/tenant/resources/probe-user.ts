// The tenant's probe user: `isoctl-probe-<tenant>` in the user pool, the identity `--wait data`
// and `tenant verify` sign in as. Users carry no tags: the name, and in rules mode the tenant
// claim attribute, say whose it is.
import type { UserInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import type { DesiredTenant } from '../desired.js';
import { PROBE_USER_PREFIX, probeUsername } from '../names.js';
import type { Step } from './step.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'probe-user';

export type ObservedProbeUser = Pick<UserInfo, 'username'> & { attributes?: Record<string, string> | undefined };

export function tenantOfProbeUser(username: string): string | undefined {
  if (!username.startsWith(PROBE_USER_PREFIX)) return undefined;
  const t = username.slice(PROBE_USER_PREFIX.length);
  return TENANT_ID_PATTERN.test(t) && probeUsername(t) === username ? t : undefined;
}

/** isoctl's probe user of `tenant` (when given): its name, and no tenant claim naming another tenant. */
export function owned(config: Pick<StackConfig, 'tenantClaim'>, user: ObservedProbeUser, tenant?: string): Ownership {
  const t = tenantOfProbeUser(user.username);
  if (t === undefined) return notOwned(`user ${user.username} is not named ${PROBE_USER_PREFIX}<tenant>`);
  if (tenant !== undefined && t !== tenant) return notOwned(`user ${user.username} is the probe user of tenant ${t}, not ${tenant}`);
  const claim = user.attributes?.[config.tenantClaim];
  if (claim !== undefined && claim !== t) return notOwned(`user ${user.username} carries ${config.tenantClaim}=${claim}: it is marked for another tenant`);
  return OWNED;
}

export function plan(desired: DesiredTenant, observed: { user: UserInfo | undefined; groups: string[] }): Step[] {
  const steps: Step[] = [];
  const user = observed.user;
  if (!user) {
    steps.push({
      action: 'create-probe-user',
      service: 'cognito-idp',
      target: desired.probe.username,
      reason: 'probe user does not exist',
      details: { attributes: desired.probe.attributes },
    });
  } else {
    const diff: Record<string, string> = {};
    for (const [k, v] of Object.entries(desired.probe.attributes)) if (user.attributes[k] !== v) diff[k] = v;
    if (Object.keys(diff).length > 0)
      steps.push({
        action: 'update-probe-attributes',
        service: 'cognito-idp',
        target: desired.probe.username,
        reason: `attributes differ: ${Object.keys(diff).join(', ')}`,
        details: { attributes: diff },
      });
  }
  if (desired.probe.group && (!user || !observed.groups.includes(desired.probe.group)))
    steps.push({
      action: 'add-probe-to-group',
      service: 'cognito-idp',
      target: `${desired.probe.username} -> ${desired.probe.group}`,
      reason: 'probe user is not in the tenant group',
    });
  return steps;
}

export function planRemoval(user: UserInfo): Step[] {
  return [{ action: 'delete-probe-user', service: 'cognito-idp', target: user.username, reason: 'probe user of the tenant' }];
}

export async function remove(ctx: RemovalContext, item: { username: string }): Promise<RemovalOutcome> {
  const { config } = ctx;
  const idp = ctx.apis.cognitoIdp;
  const existed = await retryRemoval(ctx, () => idp.adminDeleteUser(config.userPoolId, item.username));
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await idp.adminGetUser(config.userPoolId, item.username)) !== undefined)))
    return { state: 'waiting', detail: 'deleted; Cognito still shows it (run again to confirm)' };
  return existed ? { state: 'removed' } : { state: 'skipped', detail: ALREADY_GONE };
}
