// The reads behind an ABAC gc plan: the registry (one scan), the probe users (dated), every user
// of the pool (for the tenant claims: Cognito's ListUsers cannot filter on custom attributes),
// the members of this stack's scope groups, the scope roles' deny lists (tombstones), the app
// client's ID token validity, and the silo tables of the orphan candidates. Reads only.
import type { AwsApis } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { scopeGroupName } from '../../policy/index.js';
import { readDenyLists, type DenyListState } from '../../tenant/deny-list-store.js';
import type { TenantContext } from '../../tenant/context.js';
import { desiredTenant, resolveScopes } from '../../tenant/desired.js';
import { PROBE_USER_PREFIX } from '../../tenant/names.js';
import { listRegistry } from '../../tenant/registry.js';
import { idTokenLifetime, LONGEST_CREDENTIAL_SECONDS } from '../../tenant/token-lifetimes.js';
import { mapLimit } from '../concurrency.js';
import { withRetry, type RetryClock } from '../retry.js';
import { abacOrphanCandidates, type AbacGcListing, type Tombstone } from './abac-plan.js';

/** The tombstones in the scope roles' deny lists (inline and managed), merged: a tenant's latest date, undated when any entry is. */
export function tombstonesOf(state: DenyListState): Tombstone[] {
  const byTenant = new Map<string, Tombstone>();
  for (const e of state.containers.flatMap((c) => c.entries)) {
    if (e.kind !== 'deleted') continue;
    const prev = byTenant.get(e.tenant);
    if (!prev) byTenant.set(e.tenant, { tenant: e.tenant, at: e.at });
    else if (prev.at !== undefined && (e.at === undefined || e.at > prev.at)) prev.at = e.at;
  }
  return [...byTenant.values()].sort((a, b) => a.tenant.localeCompare(b.tenant));
}

/** Usernames per tenant claim value, over every user of the pool (disabled users included: they still carry it). */
export async function claimHolders(apis: AwsApis, config: StackConfig, clock: RetryClock): Promise<Map<string, string[]>> {
  const claims = new Map<string, string[]>();
  for (const u of await withRetry(clock, () => apis.cognitoIdp.listUsers(config.userPoolId))) {
    const v = u.attributes[config.tenantClaim];
    if (v) claims.set(v, [...(claims.get(v) ?? []), u.username]);
  }
  return claims;
}

export { idTokenLifetime };

export async function scanForAbacGc(ctx: TenantContext, concurrency: number): Promise<AbacGcListing> {
  const { apis, config } = ctx;
  const clock: RetryClock = ctx;
  const retry = <T>(fn: () => Promise<T>) => withRetry(clock, fn);
  const scopes = Object.keys(config.scopes).sort();
  const [registry, probeUsers, claims, members, denyLists, lifetime] = await Promise.all([
    listRegistry(ctx),
    retry(() => apis.scans.listUsersByPrefix(config.userPoolId, PROBE_USER_PREFIX)),
    claimHolders(apis, config, clock),
    Promise.all(scopes.map((s) => retry(() => apis.cognitoIdp.listUsersInGroup(config.userPoolId, scopeGroupName(config, s))))),
    readDenyLists(ctx),
    idTokenLifetime(apis, config, clock),
  ]);
  const listing: AbacGcListing = {
    registry: registry.rows,
    probeUsers,
    scopeMembers: new Set(members.flatMap((m) => (m ?? []).map((u) => u.username))),
    claims,
    tombstones: tombstonesOf(denyLists),
    revocations: [
      ...new Map(
        denyLists.containers
          .flatMap((c) => c.entries)
          .filter((e) => e.kind === 'revoked' && e.issuedBefore)
          .map((e) => [`${e.tenant}@${e.issuedBefore}`, { tenant: e.tenant, issuedBefore: e.issuedBefore! }]),
      ).values(),
    ].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.issuedBefore.localeCompare(b.issuedBefore)),
    idTokenSeconds: lifetime.seconds,
    idTokenSource: lifetime.source,
    credentialSeconds: LONGEST_CREDENTIAL_SECONDS,
    siloTables: new Map(),
  };
  await mapLimit(abacOrphanCandidates(config, listing), concurrency, async (t) => {
    const seen: Array<{ name: string; tags: Record<string, string> | undefined }> = [];
    for (const table of desiredTenant(config, t, resolveScopes(config, undefined)).siloTables) {
      const info = await retry(() => apis.dynamodb.describeTable(table.name));
      if (info) seen.push({ name: table.name, tags: await retry(() => apis.dynamodb.listTableTags(info.arn)) });
    }
    listing.siloTables.set(t, seen);
  });
  return listing;
}
