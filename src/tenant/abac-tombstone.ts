// ABAC delete's lock-out (issue 12). The scope roles stay after a tenant is deleted, and its users'
// still-valid ID tokens buy fresh credentials tagged isoctl-tenant=<id>. So delete (1) adds the id to
// the tombstone policy every scope role carries (a Deny keyed on the tenant tag: old and fresh
// credentials alike), then (2) disables every user of the pool whose tenant claim is the id (no new
// sign-in, no refresh). The tombstones share the scope roles' deny lists with suspensions and
// revocations (src/tenant/deny-list-store.ts: inline first, then isoctl's managed policies, exit 4
// when both are full). Each tombstone is dated (src/policy/tombstone.ts) so gc can drop it once no
// user carries the claim and the longest token lifetime has passed (src/ops/gc/abac-plan.ts).
import type { TenantContext } from './context.js';
import { tombstoneMoment } from '../policy/index.js';
import { changeDenyLists } from './deny-list-store.js';

export interface TombstoneReport {
  /** Scope roles whose deny lists now name the tenant as deleted (written now or already). */
  roles: string[];
  /** Users whose tenant claim is the tenant, now disabled. */
  disabledUsers: string[];
}

export async function tombstoneAbacTenant(ctx: TenantContext, tenant: string): Promise<TombstoneReport> {
  const { apis, config } = ctx;
  ctx.progress?.(`tombstone ${tenant} on the scope roles`);
  // The tombstone supersedes the tenant's suspension and revocations (they would only cost characters).
  const { roles } = await changeDenyLists(
    ctx,
    { add: [{ kind: 'deleted', tenant, at: tombstoneMoment(ctx.now()) }], drop: (e) => e.tenant === tenant && e.kind !== 'deleted' },
    `delete tenant ${tenant} (its tombstone does not fit)`,
  );
  const disabledUsers: string[] = [];
  for (const user of await apis.cognitoIdp.listUsers(config.userPoolId)) {
    if (user.attributes[config.tenantClaim] !== tenant) continue;
    ctx.progress?.(`disabling user ${user.username} of tenant ${tenant}`);
    if (await apis.cognitoIdp.adminDisableUser(config.userPoolId, user.username)) disabledUsers.push(user.username);
  }
  return { roles, disabledUsers };
}
