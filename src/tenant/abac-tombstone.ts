// ABAC delete's lock-out (issue 12). The scope roles stay after a tenant is deleted, and its users'
// still-valid ID tokens buy fresh credentials tagged isoctl-tenant=<id>. So delete (1) adds the id to
// the tombstone policy every scope role carries (a Deny keyed on the tenant tag: old and fresh
// credentials alike), then (2) disables every user of the pool whose tenant claim is the id (no new
// sign-in, no refresh). Suspension (registry work) can share the policy's shape; gc dropping a
// tombstone once no user carries the claim and the longest token lifetime has passed is not built yet.
import { RefusedError } from '../errors.js';
import {
  INLINE_POLICY_NAME,
  LIMITS,
  TOMBSTONE_POLICY_NAME,
  buildTombstonePolicy,
  policySize,
  scopeRoleName,
  serializePolicy,
  tombstonedTenants,
  type PolicyDocument,
} from '../policy/index.js';
import type { TenantContext } from './context.js';

export interface TombstoneReport {
  /** Scope roles whose tombstone policy now names the tenant (written now or already). */
  roles: string[];
  /** Users whose tenant claim is the tenant, now disabled. */
  disabledUsers: string[];
}

export async function tombstoneAbacTenant(ctx: TenantContext, tenant: string): Promise<TombstoneReport> {
  const { apis, config } = ctx;
  const roles: string[] = [];
  for (const scope of Object.keys(config.scopes).sort()) {
    const name = scopeRoleName(config, scope);
    const [current, data] = await Promise.all([apis.iam.getRolePolicy(name, TOMBSTONE_POLICY_NAME), apis.iam.getRolePolicy(name, INLINE_POLICY_NAME)]);
    if (data === undefined) continue; // no scope role (not initialised, or removed by hand): nothing can issue its sessions
    const ids = tombstonedTenants(current);
    if (!ids.includes(tenant)) {
      const doc = buildTombstonePolicy([...ids, tenant]) as PolicyDocument;
      const used = policySize(doc) + policySize(data as PolicyDocument);
      if (used > LIMITS.inlinePolicyCharsPerRole)
        throw new RefusedError(
          `tombstoning tenant ${tenant} would make role ${name}'s inline policies ${used} characters; IAM allows ${LIMITS.inlinePolicyCharsPerRole}. ` +
            'Nothing of the tenant was removed; gc of old tombstones (or moving them to a managed policy) is needed first.',
          'tombstone_limit',
          { used, limit: LIMITS.inlinePolicyCharsPerRole },
        );
      ctx.progress?.(`tombstone ${tenant} on ${name}`);
      await apis.iam.putRolePolicy(name, TOMBSTONE_POLICY_NAME, serializePolicy(doc));
    }
    roles.push(name);
  }
  const disabledUsers: string[] = [];
  for (const user of await apis.cognitoIdp.listUsers(config.userPoolId)) {
    if (user.attributes[config.tenantClaim] !== tenant) continue;
    ctx.progress?.(`disabling user ${user.username} of tenant ${tenant}`);
    if (await apis.cognitoIdp.adminDisableUser(config.userPoolId, user.username)) disabledUsers.push(user.username);
  }
  return { roles, disabledUsers };
}
